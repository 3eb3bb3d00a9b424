//! The audit log: one row per mutation, failures included.

use app::api::account::Login;
use app::api::audit::ListAudit;
use app::api::tenancy::CreateTenant;
use app::model::AuditFilter;

use crate::common::{ADMIN_PW, Auth, TestApp, backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_is_audited_with_who_what_and_why_it_failed() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let login = Login {
            username: "admin".into(),
            password: "nope-nope-nope".into(),
        };
        assert_eq!(app.fun(login, Auth::None).await.status, 401);
        let admin = app.login("admin", ADMIN_PW).await;
        let tenant = || CreateTenant {
            name: "audited".into(),
            description: String::new(),
        };
        app.fun_ok(tenant(), Auth::Cookie(&admin)).await;
        assert_eq!(app.fun(tenant(), Auth::Cookie(&admin)).await.status, 409);
        let all = ListAudit {
            filter: AuditFilter::default(),
        };
        let rows = app.fun_ok(all, Auth::Cookie(&admin)).await;
        let rows = rows.as_array().expect("rows");
        let find = |action: &str, ok: bool| {
            rows.iter()
                .find(|r| r["action"] == action && r["success"] == ok)
        };
        assert!(
            find("auth.login", false).is_some() && find("auth.login", true).is_some(),
            "[{backend}] {rows:?}"
        );
        assert!(
            find("tenant.create", true).is_some(),
            "[{backend}] {rows:?}"
        );
        let failed = find("tenant.create", false).expect("the refused create");
        assert_eq!(failed["username"], "admin");
        let detail = failed["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("already exists"), "{detail}");
        assert_eq!(failed["target"], "tenant/audited");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_by_action_prefix_and_outcome() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let tenant = || CreateTenant {
            name: "audited".into(),
            description: String::new(),
        };
        app.fun_ok(tenant(), Auth::Cookie(&admin)).await;
        app.fun(tenant(), Auth::Cookie(&admin)).await;
        let failed_tenant_changes = ListAudit {
            filter: AuditFilter {
                action: Some("tenant.".into()),
                success: Some(false),
                ..Default::default()
            },
        };
        let filtered = app
            .fun_ok(failed_tenant_changes, Auth::Cookie(&admin))
            .await;
        assert_eq!(
            filtered.as_array().map(Vec::len),
            Some(1),
            "[{backend}] {filtered}"
        );
        app.cleanup().await;
    }
}
