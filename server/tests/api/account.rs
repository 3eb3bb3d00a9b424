//! Logging in, the login limit, and API tokens for scripts.

use app::api::account::{CreateToken, CurrentUser, ListTokens, Login, Logout, RevokeToken};
use app::api::tenancy::{CreateTenant, ListTenants};
use serde_json::Value;

use crate::common::{ADMIN_PW, Auth, TestApp, backends};

fn login(username: &str, password: &str) -> Login {
    Login {
        username: username.into(),
        password: password.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_empty_password_gives_no_session() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let wrong = app
            .fun(login("admin", "not-the-password"), Auth::None)
            .await;
        assert_eq!(wrong.status, 401, "[{backend}] {}", wrong.body);
        assert!(
            wrong
                .set_cookies
                .iter()
                .all(|c| !c.starts_with("gs_session="))
        );
        let empty = app.fun(login("admin", ""), Auth::None).await;
        assert_eq!(
            (empty.status, empty.body["field"].as_str()),
            (422, Some("password"))
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_an_http_only_cookie_that_ends_at_logout() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let cookie = app.login("admin", ADMIN_PW).await;
        let me = app.fun_ok(CurrentUser {}, Auth::Cookie(&cookie)).await;
        assert_eq!(me["username"], "admin");
        assert_eq!(me["is_system_admin"], true);
        assert_eq!(app.fun_ok(CurrentUser {}, Auth::None).await, Value::Null);
        let attributes = app
            .fun(login("admin", ADMIN_PW), Auth::None)
            .await
            .set_cookies
            .into_iter()
            .find(|c| c.starts_with("gs_session="))
            .expect("cookie");
        assert!(
            attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"),
            "{attributes}"
        );
        app.fun_ok(Logout {}, Auth::Cookie(&cookie)).await;
        let after = app.fun(ListTenants {}, Auth::Cookie(&cookie)).await;
        assert_eq!(after.status, 401, "[{backend}] session must end at logout");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_a_user_out_even_with_the_right_password() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        app.create_user(&admin, "rita", "rita-password").await;
        for _ in 0..5 {
            let r = app.fun(login("rita", "guess-guess"), Auth::None).await;
            assert_eq!(r.status, 401);
        }
        let locked = app.fun(login("rita", "rita-password"), Auth::None).await;
        assert_eq!(locked.status, 429, "[{backend}] {}", locked.body);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_authenticates_a_script_until_revoked_and_is_never_listed() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let create = CreateToken {
            name: "ci".into(),
            expires_in_days: Some(30),
        };
        let created = app.fun_ok(create, Auth::Cookie(&admin)).await;
        let secret = created["secret"].as_str().expect("secret").to_string();
        assert!(secret.starts_with("gst_"));
        let listed = app.fun_ok(ListTokens {}, Auth::Cookie(&admin)).await;
        assert!(
            !listed.to_string().contains(&secret),
            "a token list must never show the secret"
        );
        let tenant = CreateTenant {
            name: "by-token".into(),
            description: String::new(),
        };
        app.fun_ok(tenant, Auth::Bearer(&secret)).await;
        let forged = app.fun(ListTenants {}, Auth::Bearer("gst_forged")).await;
        assert_eq!(forged.status, 401);
        let token_id = created["token"]["id"].as_i64().expect("token id");
        app.fun_ok(RevokeToken { token_id }, Auth::Cookie(&admin))
            .await;
        let revoked = app.fun(ListTenants {}, Auth::Bearer(&secret)).await;
        assert_eq!(revoked.status, 401, "[{backend}]");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_lifetime_of_zero_days_is_refused_on_its_field() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let create = CreateToken {
            name: "x".into(),
            expires_in_days: Some(0),
        };
        let bad = app.fun(create, Auth::Cookie(&admin)).await;
        assert_eq!(
            bad.body["field"], "expires_in_days",
            "[{backend}] {}",
            bad.body
        );
        app.cleanup().await;
    }
}
