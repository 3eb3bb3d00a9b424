//! What every request passes: the same-origin guard, health and metrics.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::json;

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
async fn health_and_metrics() {
    let app = TestApp::start(crate::common::Backend::Sqlite).await;
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
