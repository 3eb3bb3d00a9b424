//! The audit log: one row per mutation.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::json;

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
