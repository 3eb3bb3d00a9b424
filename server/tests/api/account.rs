//! Logging in, the login limit, and API tokens for scripts.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_and_rate_limit() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let wrong = app
            .call(
                "/api/auth/login",
                json!({"username": "admin", "password": "not-the-password"}),
                Auth::None,
            )
            .await;
        assert_eq!(wrong.status, 401, "[{backend}] {}", wrong.body);
        assert!(
            wrong
                .set_cookies
                .iter()
                .all(|c| !c.starts_with("gs_session="))
        );
        let empty = app
            .call(
                "/api/auth/login",
                json!({"username": "admin", "password": ""}),
                Auth::None,
            )
            .await;
        assert_eq!(
            (empty.status, empty.body["field"].as_str()),
            (422, Some("password"))
        );

        let cookie = app.login("admin", ADMIN_PW).await;
        let me = app
            .ok("/api/auth/me", json!({}), Auth::Cookie(&cookie))
            .await;
        assert_eq!(me["username"], "admin");
        assert_eq!(me["is_system_admin"], true);
        let anon = app.ok("/api/auth/me", json!({}), Auth::None).await;
        assert_eq!(anon, Value::Null);
        let cookie_attrs = app
            .call(
                "/api/auth/login",
                json!({"username": "admin", "password": ADMIN_PW}),
                Auth::None,
            )
            .await
            .set_cookies
            .into_iter()
            .find(|c| c.starts_with("gs_session="))
            .expect("cookie");
        assert!(
            cookie_attrs.contains("HttpOnly") && cookie_attrs.contains("SameSite=Lax"),
            "{cookie_attrs}"
        );

        app.ok("/api/auth/logout", json!({}), Auth::Cookie(&cookie))
            .await;
        let after = app
            .call("/api/tenants/list", json!({}), Auth::Cookie(&cookie))
            .await;
        assert_eq!(after.status, 401, "[{backend}] session must end at logout");

        // Five failures lock the user out, even with the right password afterwards.
        let admin = app.login("admin", ADMIN_PW).await;
        app.create_user(&admin, "rita", "rita-password").await;
        for _ in 0..5 {
            let r = app
                .call(
                    "/api/auth/login",
                    json!({"username": "rita", "password": "guess-guess"}),
                    Auth::None,
                )
                .await;
            assert_eq!(r.status, 401);
        }
        let locked = app
            .call(
                "/api/auth/login",
                json!({"username": "rita", "password": "rita-password"}),
                Auth::None,
            )
            .await;
        assert_eq!(locked.status, 429, "[{backend}] {}", locked.body);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_authenticate_scripts() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let created = app
            .ok(
                "/api/tokens/create",
                json!({"name": "ci", "expires_in_days": 30}),
                Auth::Cookie(&admin),
            )
            .await;
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("gst_"));
        let listed = app
            .ok("/api/tokens/list", json!({}), Auth::Cookie(&admin))
            .await;
        assert!(
            !listed.to_string().contains(&secret),
            "a token list must never show the secret"
        );
        app.ok(
            "/api/tenants/create",
            json!({"name": "by-token", "description": ""}),
            Auth::Bearer(&secret),
        )
        .await;
        let bad = app
            .call("/api/tenants/list", json!({}), Auth::Bearer("gst_forged"))
            .await;
        assert_eq!(bad.status, 401);
        let bad_days = app
            .call(
                "/api/tokens/create",
                json!({"name": "x", "expires_in_days": 0}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(bad_days.body["field"], "expires_in_days");
        app.ok(
            "/api/tokens/revoke",
            json!({"token_id": created["token"]["id"]}),
            Auth::Cookie(&admin),
        )
        .await;
        let revoked = app
            .call("/api/tenants/list", json!({}), Auth::Bearer(&secret))
            .await;
        assert_eq!(revoked.status, 401, "[{backend}]");
        app.cleanup().await;
    }
}
