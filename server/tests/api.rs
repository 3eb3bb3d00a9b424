//! Server functions over HTTP, on SQLite, MariaDB and PostgreSQL.

mod common;

use common::{ADMIN_PW, Auth, TestApp, backends};
use sea_orm::{ConnectionTrait, Statement};
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
async fn tenant_crud() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let a = Auth::Cookie(&admin);
        let t = app
            .ok(
                "/api/tenants/create",
                json!({"name": "payments", "description": "Payments team"}),
                Auth::Cookie(&admin),
            )
            .await;
        let id = t["id"].as_i64().unwrap();
        assert_eq!(t["name"], "payments");

        let dup = app
            .call(
                "/api/tenants/create",
                json!({"name": "payments", "description": ""}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(
            (dup.status, dup.body["field"].as_str()),
            (409, Some("name")),
            "[{backend}] {}",
            dup.body
        );
        let bad = app
            .call(
                "/api/tenants/create",
                json!({"name": "Payments Team", "description": ""}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(
            (bad.status, bad.body["field"].as_str()),
            (422, Some("name"))
        );
        let zh = app
            .request(TestApp::post(
                "/api/tenants/create",
                &json!({"name": "Payments Team", "description": ""}),
                &Auth::Cookie(&format!("{admin}; gs_lang=zh-CN")),
                &[],
            ))
            .await;
        assert_eq!(zh.body["field"], "name");
        assert!(
            zh.body["message"]
                .as_str()
                .unwrap()
                .starts_with("name：只能使用"),
            "{}",
            zh.body
        );
        let malformed = app
            .call("/api/tenants/create", json!({"nome": "x"}), a)
            .await;
        assert_eq!(malformed.status, 400, "[{backend}] {}", malformed.body);

        let list = app
            .ok("/api/tenants/list", json!({}), Auth::Cookie(&admin))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        let upd = app
            .ok(
                "/api/tenants/update",
                json!({"tenant_id": id, "description": "Money"}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(upd["description"], "Money");
        let got = app
            .ok(
                "/api/tenants/get",
                json!({"tenant_id": id}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(got["description"], "Money");

        // A tenant with projects is not deleted, and nothing of it goes.
        let p = app
            .ok(
                "/api/projects/create",
                json!({"tenant_id": id, "name": "api", "description": ""}),
                Auth::Cookie(&admin),
            )
            .await;
        let refused = app
            .call(
                "/api/tenants/delete",
                json!({"tenant_id": id}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(refused.status, 409);
        assert_eq!(
            app.ok(
                "/api/projects/list",
                json!({"tenant_id": id}),
                Auth::Cookie(&admin)
            )
            .await
            .as_array()
            .unwrap()
            .len(),
            1
        );
        app.ok(
            "/api/projects/delete",
            json!({"tenant_id": id, "project_id": p["id"]}),
            Auth::Cookie(&admin),
        )
        .await;
        app.ok(
            "/api/tenants/delete",
            json!({"tenant_id": id}),
            Auth::Cookie(&admin),
        )
        .await;
        let gone = app
            .call(
                "/api/tenants/get",
                json!({"tenant_id": id}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(gone.status, 404);
        app.cleanup().await;
    }
}

struct World {
    admin: String,
    alice: String,
    carol: String,
    tenant_a: i64,
    tenant_b: i64,
    project_b: i64,
    env_b: i64,
    bob_id: i64,
    cluster: i64,
}

/// Tenant A (alice admin) and tenant B (bob admin, carol member) with a project and environment.
async fn world(app: &TestApp) -> World {
    let admin = app.login("admin", ADMIN_PW).await;
    let c = || Auth::Cookie(&admin);
    app.create_user(&admin, "alice", "alice-password").await;
    let bob_id = app.create_user(&admin, "bob", "bob-password").await;
    app.create_user(&admin, "carol", "carol-password").await;
    let tenant_a = app
        .ok(
            "/api/tenants/create",
            json!({"name": "tenant-a", "description": "A"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let tenant_b = app
        .ok(
            "/api/tenants/create",
            json!({"name": "tenant-b", "description": "B"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_a, "username": "alice", "role": "admin"}),
        c(),
    )
    .await;
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_b, "username": "bob", "role": "admin"}),
        c(),
    )
    .await;
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant_b, "username": "carol", "role": "member"}),
        c(),
    )
    .await;
    app.ok(
        "/api/projects/create",
        json!({"tenant_id": tenant_a, "name": "pa", "description": ""}),
        c(),
    )
    .await;
    let project_b = app
        .ok(
            "/api/projects/create",
            json!({"tenant_id": tenant_b, "name": "pb", "description": "keep"}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let cluster = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "prod", "kind": "standalone", "settings": {"prometheus_url": "http://127.0.0.1:9090"}}}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let env_b = app
        .ok(
            "/api/environments/create",
            json!({"tenant_id": tenant_b, "project_id": project_b, "environment": {"name": "prod", "cluster_id": cluster, "namespace": "b-prod", "description": ""}}),
            c(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let alice = app.login("alice", "alice-password").await;
    let carol = app.login("carol", "carol-password").await;
    World {
        admin,
        alice,
        carol,
        tenant_a,
        tenant_b,
        project_b,
        env_b,
        bob_id,
        cluster,
    }
}

/// Tenant B as the system admin sees it; must be identical before and after the attacks.
async fn snapshot_b(app: &TestApp, w: &World) -> Value {
    let c = || Auth::Cookie(&w.admin);
    json!({
        "tenant": app.ok("/api/tenants/get", json!({"tenant_id": w.tenant_b}), c()).await,
        "members": app.ok("/api/members/list", json!({"tenant_id": w.tenant_b}), c()).await,
        "projects": app.ok("/api/projects/list", json!({"tenant_id": w.tenant_b}), c()).await,
        "envs": app.ok("/api/environments/list", json!({"tenant_id": w.tenant_b, "project_id": w.project_b}), c()).await,
        "clusters": app.ok("/api/clusters/list", json!({}), c()).await,
        "users": app.ok("/api/users/list", json!({}), c()).await,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_matrix() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let w = world(&app).await;
        let before = snapshot_b(&app, &w).await;
        let (a, b, pb, eb, cl) = (w.tenant_a, w.tenant_b, w.project_b, w.env_b, w.cluster);
        let env_input =
            json!({"name": "x", "cluster_id": cl, "namespace": "stolen", "description": ""});
        let cluster_input = json!({"name": "evil", "kind": "standalone", "settings": {"prometheus_url": "http://127.0.0.1:1"}});
        // Alice administers tenant A; every call below names tenant B's objects.
        let calls: Vec<(&str, Value)> = vec![
            ("/api/tenants/get", json!({"tenant_id": b})),
            (
                "/api/tenants/update",
                json!({"tenant_id": b, "description": "pwned"}),
            ),
            ("/api/tenants/delete", json!({"tenant_id": b})),
            (
                "/api/tenants/create",
                json!({"name": "alices-own", "description": ""}),
            ),
            ("/api/members/list", json!({"tenant_id": b})),
            (
                "/api/members/set",
                json!({"tenant_id": b, "username": "alice", "role": "admin"}),
            ),
            (
                "/api/members/remove",
                json!({"tenant_id": b, "user_id": w.bob_id}),
            ),
            ("/api/projects/list", json!({"tenant_id": b})),
            (
                "/api/projects/create",
                json!({"tenant_id": b, "name": "evil", "description": ""}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": a, "project_id": pb}),
            ),
            (
                "/api/environments/list",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/environments/list",
                json!({"tenant_id": a, "project_id": pb}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": b, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": a, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": b, "environment_id": eb}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": a, "environment_id": eb}),
            ),
            ("/api/clusters/list", json!({})),
            ("/api/clusters/get", json!({"cluster_id": cl})),
            ("/api/clusters/create", json!({"cluster": cluster_input})),
            (
                "/api/clusters/update",
                json!({"cluster_id": cl, "cluster": cluster_input}),
            ),
            ("/api/clusters/delete", json!({"cluster_id": cl})),
            // Token rotation is the platform's (security review, item 5).
            (
                "/api/clusters/rotate_history_tokens",
                json!({"cluster_id": cl}),
            ),
            ("/api/channels/rotate_token", json!({"channel_id": 1})),
            ("/api/users/list", json!({})),
            (
                "/api/users/create",
                json!({"user": {"username": "mallory", "display_name": "", "email": "", "password": "mallory-pw", "is_system_admin": true}}),
            ),
            (
                "/api/users/update",
                json!({"user": {"user_id": w.bob_id, "display_name": "", "email": "", "is_system_admin": false, "active": false}}),
            ),
            (
                "/api/users/set_password",
                json!({"user_id": w.bob_id, "password": "new-password-1"}),
            ),
        ];
        for (path, body) in &calls {
            let r = app.call(path, body.clone(), Auth::Cookie(&w.alice)).await;
            assert!(
                r.status == 403 || r.status == 404,
                "[{backend}] alice {path} {body} -> {} {}",
                r.status,
                r.body
            );
        }
        // Carol is a plain member of B: she reads it but changes nothing.
        let carol_calls: Vec<(&str, Value)> = vec![
            (
                "/api/tenants/update",
                json!({"tenant_id": b, "description": "pwned"}),
            ),
            (
                "/api/members/set",
                json!({"tenant_id": b, "username": "carol", "role": "admin"}),
            ),
            (
                "/api/members/remove",
                json!({"tenant_id": b, "user_id": w.bob_id}),
            ),
            (
                "/api/projects/create",
                json!({"tenant_id": b, "name": "evil", "description": ""}),
            ),
            (
                "/api/projects/delete",
                json!({"tenant_id": b, "project_id": pb}),
            ),
            (
                "/api/environments/create",
                json!({"tenant_id": b, "project_id": pb, "environment": env_input}),
            ),
            (
                "/api/environments/delete",
                json!({"tenant_id": b, "environment_id": eb}),
            ),
            ("/api/clusters/refs", json!({})),
        ];
        for (path, body) in &carol_calls {
            let r = app.call(path, body.clone(), Auth::Cookie(&w.carol)).await;
            assert_eq!(
                r.status, 403,
                "[{backend}] carol {path} {body} -> {}",
                r.body
            );
        }
        assert_eq!(
            app.ok(
                "/api/projects/list",
                json!({"tenant_id": b}),
                Auth::Cookie(&w.carol)
            )
            .await
            .as_array()
            .unwrap()
            .len(),
            1
        );

        // Lists show only what the caller may see.
        let tenants = app
            .ok("/api/tenants/list", json!({}), Auth::Cookie(&w.alice))
            .await;
        let names: Vec<&str> = tenants
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(names, vec!["tenant-a"], "[{backend}]");
        let audit = app
            .ok(
                "/api/audit/list",
                json!({"filter": {}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        // As admin of A she reads A's rows and her own (her refused attempts are audited, and
        // tenant B's admins see them too); nothing else.
        let rows = audit.as_array().unwrap();
        assert!(
            rows.iter()
                .any(|r| r["success"] == false && r["tenant_id"] == json!(b)),
            "[{backend}] refusals are audited"
        );
        assert!(
            rows.iter()
                .any(|r| r["username"] == "admin" && r["tenant_id"] == json!(a)),
            "[{backend}] tenant A rows visible"
        );
        for row in rows {
            assert!(
                row["username"] == "alice" || row["tenant_id"] == json!(a),
                "[{backend}] alice saw {row}"
            );
        }

        let after = snapshot_b(&app, &w).await;
        assert_eq!(before, after, "[{backend}] tenant B changed");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_are_refused() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let body = json!({"name": "csrf", "description": ""});
        for headers in [
            vec![("origin", "http://evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("origin", "null")],
        ] {
            let r = app
                .request(TestApp::post(
                    "/api/tenants/create",
                    &body,
                    &Auth::Cookie(&admin),
                    &headers,
                ))
                .await;
            assert_eq!(r.status, 403, "[{backend}] {headers:?}");
        }
        let form = axum::http::Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "http://evil.example")
            .body(axum::body::Body::from(format!(
                "username=admin&password={ADMIN_PW}"
            )))
            .unwrap();
        let r = app.request(form).await;
        assert_eq!(r.status, 403, "[{backend}] login form from another site");
        let same = app
            .request(TestApp::post(
                "/api/tenants/create",
                &body,
                &Auth::Cookie(&admin),
                &[
                    ("origin", "http://127.0.0.1:3000"),
                    ("sec-fetch-site", "same-origin"),
                ],
            ))
            .await;
        assert_eq!(same.status, 200, "[{backend}] {}", same.body);
        let list = app
            .ok("/api/tenants/list", json!({}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "only the same-origin request created a tenant"
        );
        // Reads by GET do not exist for server functions: they are POST only.
        let get = app
            .request(
                axum::http::Request::get("/api/tenants/list")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_ne!(get.status, 200);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_rows_are_written() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let bad = app
            .call(
                "/api/auth/login",
                json!({"username": "admin", "password": "nope-nope-nope"}),
                Auth::None,
            )
            .await;
        assert_eq!(bad.status, 401);
        let admin = app.login("admin", ADMIN_PW).await;
        app.ok(
            "/api/tenants/create",
            json!({"name": "audited", "description": ""}),
            Auth::Cookie(&admin),
        )
        .await;
        let dup = app
            .call(
                "/api/tenants/create",
                json!({"name": "audited", "description": ""}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(dup.status, 409);
        let rows = app
            .ok(
                "/api/audit/list",
                json!({"filter": {}}),
                Auth::Cookie(&admin),
            )
            .await;
        let rows = rows.as_array().unwrap();
        let find = |action: &str, ok: bool| {
            rows.iter()
                .any(|r| r["action"] == action && r["success"] == ok)
        };
        assert!(
            find("auth.login", false) && find("auth.login", true),
            "[{backend}] {rows:?}"
        );
        assert!(
            find("tenant.create", true) && find("tenant.create", false),
            "[{backend}] {rows:?}"
        );
        let failed = rows
            .iter()
            .find(|r| r["action"] == "tenant.create" && r["success"] == false)
            .unwrap();
        assert_eq!(failed["username"], "admin");
        assert!(
            failed["detail"]
                .as_str()
                .unwrap()
                .contains("already exists")
        );
        assert_eq!(failed["target"], "tenant/audited");
        let filtered = app
            .ok(
                "/api/audit/list",
                json!({"filter": {"action": "tenant.", "success": false}}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(
            filtered.as_array().unwrap().len(),
            1,
            "[{backend}] {filtered}"
        );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_secrets_are_encrypted_and_never_read_back() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let marker = "SECRET-MARKER-7731";
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: x\n  user:\n    token: {marker}\n"
        );
        let created = app
            .ok("/api/clusters/create", json!({"cluster": {"name": "k8s", "kind": "kubernetes", "kubeconfig": kubeconfig, "bearer_token": marker}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(created["has_kubeconfig"], true);
        assert_eq!(created["has_bearer_token"], true);
        let id = created["id"].as_i64().unwrap();
        for body in [
            created.clone(),
            app.ok("/api/clusters/list", json!({}), Auth::Cookie(&admin))
                .await,
            app.ok(
                "/api/clusters/get",
                json!({"cluster_id": id}),
                Auth::Cookie(&admin),
            )
            .await,
        ] {
            assert!(
                !body.to_string().contains(marker),
                "[{backend}] secret leaked: {body}"
            );
        }
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT secrets FROM clusters",
            ))
            .await
            .unwrap()
            .unwrap();
        let stored: String = row.try_get("", "secrets").unwrap();
        assert!(
            stored.starts_with("v1:") && !stored.contains(marker),
            "[{backend}] stored in clear"
        );
        // An update without secrets keeps them; an empty string clears one.
        let kept = app
            .ok("/api/clusters/update", json!({"cluster_id": id, "cluster": {"name": "k8s", "kind": "kubernetes", "description": "renamed"}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (kept["has_kubeconfig"].clone(), kept["description"].clone()),
            (json!(true), json!("renamed"))
        );
        let cleared = app
            .ok("/api/clusters/update", json!({"cluster_id": id, "cluster": {"name": "k8s", "kind": "kubernetes", "bearer_token": ""}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (
                cleared["has_kubeconfig"].clone(),
                cleared["has_bearer_token"].clone()
            ),
            (json!(true), json!(false))
        );
        let invalid = app
            .call("/api/clusters/create", json!({"cluster": {"name": "bad", "kind": "standalone", "settings": {"prometheus_url": "prom:9090"}}}), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (invalid.status, invalid.body["field"].as_str()),
            (422, Some("settings.prometheus_url"))
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics() {
    let app = TestApp::start(common::Backend::Sqlite).await;
    let health = app
        .request(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );
    app.call("/api/tenants/list", json!({}), Auth::None).await;
    let m = app
        .request(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let text = m.body.as_str().unwrap();
    assert!(text.contains(r#"gemscope_http_requests_total{method="POST",route="/api/tenants/list",status="401"} 1"#), "{text}");
    assert!(text.contains("gemscope_db_pool_connections"));
    assert!(text.contains("gemscope_build_info"));
    app.cleanup().await;
}
