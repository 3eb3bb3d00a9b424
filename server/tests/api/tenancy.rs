//! Tenants: creating, renaming, members and deleting.

use crate::common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::json;

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
        // The code is what clients translate by; it stays when the language changes.
        assert_eq!(bad.body["code"], "dns_label", "{}", bad.body);
        let zh = app
            .request(TestApp::post(
                "/api/tenants/create",
                &json!({"name": "Payments Team", "description": ""}),
                &Auth::Cookie(&format!("{admin}; gs_lang=zh-CN")),
                &[],
            ))
            .await;
        assert_eq!(
            (&zh.body["field"], &zh.body["code"]),
            (&json!("name"), &json!("dns_label"))
        );
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
        assert_eq!(malformed.body["code"], "malformed_request");

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
