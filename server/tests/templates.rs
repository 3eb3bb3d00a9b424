//! The template library on SQLite, MariaDB and PostgreSQL: importing KubeGems' real files,
//! export round trip, seeding, tenant visibility, validation and in-use protection.

mod common;

use app::api::templates::{
    AlertTemplates, DashboardTemplates, DeleteDashboardTemplate, DeleteTemplateRule,
    ExportTemplates, ImportTemplates, SaveDashboardTemplate, SearchTemplates, TemplateFile,
    TemplateTree, UpdateTemplateRule,
};
use app::api::tenancy::{CreateTenant, SetMember};
use app::model::{
    DashboardTemplate, Graph, GraphGenerator, GraphTarget, Role, TemplateKey, TemplateRuleInput,
};
use common::{ADMIN_PW, Auth, Reply, TestApp, backends};
use serde_json::{Value, json};
use server::templates::library;

/// KubeGems' own template files, as shipped.
fn kubegems_files() -> Vec<TemplateFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/testkit/fixtures/kubegems/config");
    let files: Vec<TemplateFile> = library::read_path(&dir)
        .expect("the KubeGems files")
        .into_iter()
        .map(|(path, text)| TemplateFile { path, text })
        .collect();
    assert_eq!(
        files.len(),
        13,
        "promql_tpl, system_alert and 11 dashboards"
    );
    files
}

/// (scopes, resources, rules) of a template tree.
fn count(tree: &Value) -> (usize, usize, usize) {
    let scopes = tree.as_array().cloned().unwrap_or_default();
    let resources: Vec<Value> = scopes
        .iter()
        .flat_map(|s| s["resources"].as_array().cloned().unwrap_or_default())
        .collect();
    let rules = resources
        .iter()
        .map(|r| r["rules"].as_array().map(Vec::len).unwrap_or_default())
        .sum();
    (scopes.len(), resources.len(), rules)
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

impl TestApp {
    async fn import(&self, session: &str, files: Vec<TemplateFile>, apply: bool) -> Reply {
        let import = ImportTemplates { files, apply };
        self.fun(import, Auth::Cookie(session)).await
    }

    async fn search(&self, session: &str, tenant_id: Option<i64>, query: &str) -> Value {
        let search = SearchTemplates {
            tenant_id,
            query: query.into(),
        };
        self.fun_ok(search, Auth::Cookie(session)).await
    }

    async fn presets(&self, session: &str) -> Value {
        let tree = TemplateTree { tenant_id: None };
        self.fun_ok(tree, Auth::Cookie(session)).await
    }

    async fn delete_rule(&self, session: &str, rule_id: i64) -> Reply {
        self.fun(DeleteTemplateRule { rule_id }, Auth::Cookie(session))
            .await
    }

    async fn save_dashboard(&self, session: &str, template: DashboardTemplate) -> Reply {
        self.fun(SaveDashboardTemplate { template }, Auth::Cookie(session))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubegems_files_import_as_written_after_a_preview_that_writes_nothing() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let preview = app.import(&admin, kubegems_files(), false).await.body;
        assert_eq!(preview["applied"], false);
        let tree = app.presets(&admin).await;
        assert_eq!(count(&tree), (0, 0, 0), "[{backend}] preview wrote");
        let summary = app.import(&admin, kubegems_files(), true).await.body;
        assert_eq!(
            summary["added"], preview["added"],
            "the preview told the truth"
        );
        assert_eq!(
            count(&app.presets(&admin).await),
            (5, 24, 304),
            "[{backend}]"
        );
        let dashboards = app
            .fun_ok(DashboardTemplates {}, Auth::Cookie(&admin))
            .await;
        assert_eq!(list(&dashboards).len(), 11);
        let alerts = app.fun_ok(AlertTemplates {}, Auth::Cookie(&admin)).await;
        assert_eq!(list(&alerts).len(), 23);
        // The stray quotes are imported as written and reported.
        let warnings: Vec<String> = list(&summary["warnings"])
            .iter()
            .filter_map(|w| w.as_str().map(String::from))
            .filter(|w| w.contains("stray"))
            .collect();
        assert_eq!(warnings.len(), 5, "{warnings:#?}");
        assert!(
            warnings.iter().any(|w| w.contains("\"true\\\"\"")),
            "{warnings:#?}"
        );
        let plugin = list(&alerts)
            .into_iter()
            .find(|a| a["name"] == "gems-plugin-failed")
            .expect("gems-plugin-failed");
        assert_eq!(
            plugin["body"]["promqlGenerator"]["labelMatchers"][0]["value"],
            "true\""
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_idempotent_and_its_export_rebuilds_the_same_library_elsewhere() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        app.import(&admin, kubegems_files(), true).await;
        let again = app.import(&admin, kubegems_files(), true).await.body;
        assert_eq!(again["added"], json!([]));
        assert_eq!(again["updated"], json!([]));
        let exported = app.fun_ok(ExportTemplates {}, Auth::Cookie(&admin)).await;
        let files: Vec<TemplateFile> =
            serde_json::from_value(exported.clone()).expect("exported files");
        let other = TestApp::start(backend).await;
        let other_admin = other.login("admin", ADMIN_PW).await;
        let applied = other.import(&other_admin, files, true).await;
        assert_eq!(applied.status, 200, "{}", applied.body);
        let re_exported = other
            .fun_ok(ExportTemplates {}, Auth::Cookie(&other_admin))
            .await;
        // Ids differ between databases; everything else is the same.
        let strip_ids = |v: &Value| {
            list(v)
                .iter()
                .map(|f| {
                    let text = f["text"].as_str().unwrap_or_default();
                    let kept: Vec<&str> = text
                        .lines()
                        .filter(|l| {
                            let l = l.trim_start().trim_start_matches("- ");
                            !["id:", "scopeID:", "resourceID:"]
                                .iter()
                                .any(|k| l.starts_with(k))
                        })
                        .collect();
                    (
                        f["path"].as_str().unwrap_or_default().to_string(),
                        kept.join("\n"),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strip_ids(&re_exported),
            strip_ids(&exported),
            "[{backend}] round trip"
        );
        other.cleanup().await;
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_system_admin_imports_templates() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        app.create_user(&admin, "eve", "eve-password-1").await;
        let eve = app.login("eve", "eve-password-1").await;
        let refused = app.import(&eve, kubegems_files(), true).await;
        assert_eq!(refused.status, 403, "[{backend}] {}", refused.body);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_adds_only_missing_presets_and_keeps_an_admins_edit() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let first = server::templates::seed(&app.db).await.expect("seed");
        assert!(first.added.len() > 50, "{:?}", first.added.len());
        // Gemscope's presets are valid PromQL with known units and names.
        assert!(first.warnings.is_empty(), "{:#?}", first.warnings);
        let second = server::templates::seed(&app.db).await.expect("seed");
        assert_eq!(second.added, Vec::<String>::new(), "[{backend}]");
        let found = app
            .search(&admin, None, "system.node.cpuUsagePercent")
            .await;
        let rule = &found[0]["rule"];
        let mut edited: TemplateRuleInput =
            serde_json::from_value(rule.clone()).expect("a template rule");
        edited.show_name = "CPU busy (%)".into();
        let update = UpdateTemplateRule {
            rule_id: rule["id"].as_i64().expect("id"),
            rule: edited,
        };
        app.fun_ok(update, Auth::Cookie(&admin)).await;
        server::templates::seed(&app.db).await.expect("seed");
        let after = app
            .search(&admin, None, "system.node.cpuUsagePercent")
            .await;
        assert_eq!(after[0]["rule"]["show_name"], "CPU busy (%)");
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preset_the_system_alerts_use_is_not_deleted_and_the_refusal_names_the_user() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        server::templates::seed(&app.db).await.expect("seed");
        let found = app
            .search(&admin, None, "system.node.cpuUsagePercent")
            .await;
        let rule_id = found[0]["rule"]["id"].as_i64().expect("id");
        let refused = app.delete_rule(&admin, rule_id).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        let message = refused.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("system alert rule \"node-cpu-busy\""),
            "{message}"
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_preset_dashboard_and_system_alert_refers_to_templates_that_exist() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        server::templates::seed(&app.db).await.expect("seed");
        let key = |scope: &Value, resource: &Value, rule: &Value| {
            let name = |v: &Value| v.as_str().unwrap_or_default().to_string();
            TemplateKey::new(&name(scope), &name(resource), &name(rule))
        };
        let keys: std::collections::HashSet<TemplateKey> =
            list(&app.search(&admin, None, "").await)
                .iter()
                .map(|t| key(&t["scope"], &t["resource"], &t["rule"]["name"]))
                .collect();
        assert!(keys.len() >= 190, "{}", keys.len());
        for scope in [
            "system",
            "containers",
            "middleware",
            "others",
            "opentelemetry",
        ] {
            assert!(keys.iter().any(|k| k.scope == scope), "no {scope} presets");
        }
        let dashboards = app
            .fun_ok(DashboardTemplates {}, Auth::Cookie(&admin))
            .await;
        let dashboards = list(&dashboards);
        assert!(dashboards.len() >= 16);
        for d in &dashboards {
            for g in list(&d["graphs"]) {
                for t in list(&g["targets"]) {
                    let r = &t["promqlGenerator"];
                    let k = key(&r["scope"], &r["resource"], &r["rule"]);
                    assert!(
                        keys.contains(&k),
                        "dashboard {} uses missing {k}",
                        d["name"]
                    );
                }
            }
        }
        let alerts = app.fun_ok(AlertTemplates {}, Auth::Cookie(&admin)).await;
        for a in list(&alerts) {
            let g = &a["body"]["promqlGenerator"];
            if g.is_null() {
                // A rule without a template carries its own PromQL.
                let expr = a["body"]["expr"].as_str().unwrap_or_default();
                assert!(
                    app::domain::templates::promql("expr", expr).is_ok(),
                    "{expr}"
                );
                continue;
            }
            let k = key(&g["scope"], &g["resource"], &g["rule"]);
            assert!(keys.contains(&k), "{} uses missing {k}", a["name"]);
        }
        app.cleanup().await;
    }
}

/// Two tenants, `team-a` (alice, admin) and `team-b` (bob, admin), over the seeded presets.
struct Teams {
    app: TestApp,
    admin: String,
    alice: String,
    bob: String,
    a: i64,
    b: i64,
    container: i64,
}

async fn teams(backend: common::Backend) -> Teams {
    let app = TestApp::start(backend).await;
    let admin = app.login("admin", ADMIN_PW).await;
    server::templates::seed(&app.db).await.expect("seed");
    let mut ids = Vec::new();
    for (tenant, user) in [("team-a", "alice"), ("team-b", "bob")] {
        let create = CreateTenant {
            name: tenant.into(),
            description: String::new(),
        };
        let t = app.fun_ok(create, Auth::Cookie(&admin)).await["id"]
            .as_i64()
            .expect("tenant id");
        app.create_user(&admin, user, "password-123").await;
        let set = SetMember {
            tenant_id: t,
            username: user.into(),
            role: Role::Admin,
        };
        app.fun_ok(set, Auth::Cookie(&admin)).await;
        ids.push(t);
    }
    let alice = app.login("alice", "password-123").await;
    let bob = app.login("bob", "password-123").await;
    let container = app
        .template_resource(&alice, ids[0], "containers", "container")
        .await
        .as_i64()
        .expect("resource id");
    Teams {
        app,
        admin,
        alice,
        bob,
        a: ids[0],
        b: ids[1],
        container,
    }
}

impl Teams {
    fn rule(&self, name: &str, expr: &str, tenant_id: Option<i64>) -> TemplateRuleInput {
        TemplateRuleInput {
            resource_id: self.container,
            name: name.into(),
            expr: expr.into(),
            unit: "short".into(),
            tenant_id,
            ..Default::default()
        }
    }

    async fn create(&self, rule: TemplateRuleInput) -> Reply {
        let create = app::api::templates::CreateTemplateRule { rule };
        self.app.fun(create, Auth::Cookie(&self.alice)).await
    }

    /// Alice's `queueDepth` in team-a; returns its id.
    async fn queue_depth(&self) -> i64 {
        let rule = TemplateRuleInput {
            labels: vec!["namespace".into(), "pod".into()],
            ..self.rule(
                "queueDepth",
                "sum(jobs_queued) by (namespace, pod)",
                Some(self.a),
            )
        };
        let created = self.create(rule).await;
        assert_eq!(created.status, 200, "{}", created.body);
        created.body["id"].as_i64().expect("id")
    }
}

fn dashboard(name: &str, rule: &str) -> DashboardTemplate {
    DashboardTemplate {
        name: name.into(),
        graphs: vec![Graph {
            name: "Depth".into(),
            unit: "short".into(),
            targets: vec![GraphTarget {
                target_name: "A".into(),
                generator: Some(GraphGenerator {
                    key: TemplateKey::new("containers", "container", rule),
                    ..Default::default()
                }),
                ..Default::default()
            }],
        }],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_rule_is_valid_promql_unique_in_its_resource_and_presets_are_for_admins() {
    for backend in backends() {
        let t = teams(backend).await;
        let bad = t
            .create(t.rule("queueDepth", "sum(rate(jobs_total[5m])", Some(t.a)))
            .await;
        assert_eq!(
            (bad.status, bad.body["field"].as_str()),
            (422, Some("expr")),
            "{}",
            bad.body
        );
        t.queue_depth().await;
        let dup = t.create(t.rule("queueDepth", "x", Some(t.a))).await;
        assert_eq!(
            (dup.status, dup.body["field"].as_str()),
            (409, Some("name"))
        );
        let preset = t.create(t.rule("other", "x", None)).await;
        assert_eq!(preset.status, 403);
        t.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_neither_sees_nor_deletes_a_tenants_rule() {
    for backend in backends() {
        let t = teams(backend).await;
        let rule_id = t.queue_depth().await;
        let bobs = t.app.search(&t.bob, Some(t.b), "queueDepth").await;
        assert_eq!(bobs, json!([]), "[{backend}]");
        let peek = TemplateTree {
            tenant_id: Some(t.a),
        };
        assert_eq!(t.app.fun(peek, Auth::Cookie(&t.bob)).await.status, 404);
        assert_eq!(t.app.delete_rule(&t.bob, rule_id).await.status, 404);
        let found = t.app.search(&t.alice, Some(t.a), "jobs_queued").await;
        assert_eq!(found[0]["rule"]["name"], "queueDepth");
        t.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_a_dashboard_uses_is_kept_until_the_dashboard_is_gone() {
    for backend in backends() {
        let t = teams(backend).await;
        let rule_id = t.queue_depth().await;
        let saved = t
            .app
            .save_dashboard(&t.admin, dashboard("Queues", "queueDepth"))
            .await;
        assert_eq!(saved.status, 200, "{}", saved.body);
        let refused = t.app.delete_rule(&t.alice, rule_id).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        let message = refused.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("\"Queues\""), "{message}");
        let delete = DeleteDashboardTemplate {
            name: "Queues".into(),
        };
        t.app.fun_ok(delete, Auth::Cookie(&t.admin)).await;
        let deleted = t.app.delete_rule(&t.alice, rule_id).await;
        assert_eq!(deleted.status, 200, "[{backend}] {}", deleted.body);
        t.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_template_must_reference_templates_that_exist() {
    for backend in backends() {
        let t = teams(backend).await;
        let dangling = t
            .app
            .save_dashboard(&t.admin, dashboard("Broken", "nope"))
            .await;
        assert_eq!(
            (dangling.status, dangling.body["field"].as_str()),
            (422, Some("graphs[0].targets[0]")),
            "[{backend}] {}",
            dangling.body
        );
        t.app.cleanup().await;
    }
}
