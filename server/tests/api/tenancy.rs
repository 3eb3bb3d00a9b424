//! Tenants: creating, renaming, members and deleting.

use app::api::tenancy::{
    CreateProject, CreateTenant, DeleteProject, DeleteTenant, GetTenant, ListProjects, ListTenants,
    UpdateTenant,
};
use serde_json::json;

use crate::common::{ADMIN_PW, Auth, TestApp, backends};

fn tenant(name: &str, description: &str) -> CreateTenant {
    CreateTenant {
        name: name.into(),
        description: description.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_is_created_listed_updated_and_read_back() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let a = || Auth::Cookie(&admin);
        let t = app.fun_ok(tenant("payments", "Payments team"), a()).await;
        assert_eq!(t["name"], "payments");
        let tenant_id = t["id"].as_i64().expect("id");
        let list = app.fun_ok(ListTenants {}, a()).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "[{backend}] {list}");
        let update = UpdateTenant {
            tenant_id,
            description: "Money".into(),
        };
        assert_eq!(app.fun_ok(update, a()).await["description"], "Money");
        let got = app.fun_ok(GetTenant { tenant_id }, a()).await;
        assert_eq!(got["description"], "Money");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_name_is_a_unique_dns_label_refused_with_a_code_in_every_language() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        app.fun_ok(tenant("payments", ""), Auth::Cookie(&admin))
            .await;
        let dup = app.fun(tenant("payments", ""), Auth::Cookie(&admin)).await;
        assert_eq!(
            (dup.status, dup.body["field"].as_str()),
            (409, Some("name")),
            "[{backend}] {}",
            dup.body
        );
        let bad = app
            .fun(tenant("Payments Team", ""), Auth::Cookie(&admin))
            .await;
        assert_eq!(
            (bad.status, bad.body["field"].as_str()),
            (422, Some("name"))
        );
        // The code is what clients translate by; it stays when the language changes.
        assert_eq!(bad.body["code"], "dns_label", "{}", bad.body);
        let zh = app
            .fun(
                tenant("Payments Team", ""),
                Auth::Cookie(&format!("{admin}; gs_lang=zh-CN")),
            )
            .await;
        assert_eq!(
            (&zh.body["field"], &zh.body["code"]),
            (&json!("name"), &json!("dns_label"))
        );
        let message = zh.body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("name：只能使用"), "{}", zh.body);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_fit_the_function_is_a_400_malformed_request() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        // Raw JSON on purpose: no typed caller can misspell a field.
        let malformed = app
            .call(
                "/api/tenants/create",
                json!({"nome": "x"}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(malformed.status, 400, "[{backend}] {}", malformed.body);
        assert_eq!(malformed.body["code"], "malformed_request");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_projects_is_not_deleted_and_keeps_them() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let a = || Auth::Cookie(&admin);
        let tenant_id = app.fun_ok(tenant("payments", ""), a()).await["id"]
            .as_i64()
            .expect("id");
        let project = CreateProject {
            tenant_id,
            name: "api".into(),
            description: String::new(),
        };
        let project_id = app.fun_ok(project, a()).await["id"].as_i64().expect("id");
        let refused = app.fun(DeleteTenant { tenant_id }, a()).await;
        assert_eq!(refused.status, 409, "[{backend}] {}", refused.body);
        let projects = app.fun_ok(ListProjects { tenant_id }, a()).await;
        assert_eq!(projects.as_array().map(Vec::len), Some(1));
        let delete = DeleteProject {
            tenant_id,
            project_id,
        };
        app.fun_ok(delete, a()).await;
        app.fun_ok(DeleteTenant { tenant_id }, a()).await;
        let gone = app.fun(GetTenant { tenant_id }, a()).await;
        assert_eq!(gone.status, 404);
        app.cleanup().await;
    }
}
