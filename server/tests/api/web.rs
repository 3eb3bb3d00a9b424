//! What every request passes: the same-origin guard, health and metrics. These tests speak raw
//! HTTP on purpose: headers, methods and forms no typed server-function call can send.

use app::api::tenancy::ListTenants;
use serde_json::json;

use crate::common::{ADMIN_PW, Auth, TestApp, backends};

/// `POST /api/tenants/create` as `admin` with `headers`.
async fn create_tenant(app: &TestApp, admin: &str, headers: &[(&str, &str)]) -> u16 {
    let body = json!({"name": "csrf", "description": ""});
    let post = TestApp::post("/api/tenants/create", &body, &Auth::Cookie(admin), headers);
    app.request(post).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_are_refused_and_create_nothing() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        for headers in [
            vec![("origin", "http://evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("origin", "null")],
        ] {
            let status = create_tenant(&app, &admin, &headers).await;
            assert_eq!(status, 403, "[{backend}] {headers:?}");
        }
        let form = axum::http::Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "http://evil.example")
            .body(axum::body::Body::from(format!(
                "username=admin&password={ADMIN_PW}"
            )))
            .expect("request");
        let r = app.request(form).await;
        assert_eq!(r.status, 403, "[{backend}] login form from another site");
        let list = app.fun_ok(ListTenants {}, Auth::Cookie(&admin)).await;
        assert_eq!(list, json!([]), "[{backend}] nothing was created");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_origin_post_passes_the_guard() {
    let app = TestApp::start(crate::common::Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let same = [
        ("origin", "http://127.0.0.1:3000"),
        ("sec-fetch-site", "same-origin"),
    ];
    assert_eq!(create_tenant(&app, &admin, &same).await, 200);
    let list = app.fun_ok(ListTenants {}, Auth::Cookie(&admin)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_answer_post_only() {
    let app = TestApp::start(crate::common::Backend::Sqlite).await;
    let get = axum::http::Request::get("/api/tenants/list")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_ne!(app.request(get).await.status, 200);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics() {
    let app = TestApp::start(crate::common::Backend::Sqlite).await;
    let health = app
        .request(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );
    app.fun(ListTenants {}, Auth::None).await;
    let m = app
        .request(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    let text = m.body.as_str().unwrap_or_default();
    assert!(text.contains(r#"gemscope_http_requests_total{method="POST",route="/api/tenants/list",status="401"} 1"#), "{text}");
    assert!(text.contains("gemscope_db_pool_connections"));
    assert!(text.contains("gemscope_build_info"));
    app.cleanup().await;
}
