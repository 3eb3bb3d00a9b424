//! The template library on SQLite, MariaDB and PostgreSQL: importing KubeGems' real files,
//! export round trip, seeding, tenant visibility, validation and in-use protection.

mod common;

use common::{ADMIN_PW, Auth, TestApp, backends};
use serde_json::{Value, json};
use server::templates::library;

fn kubegems_config() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/testkit/fixtures/kubegems/config")
}

fn count(tree: &Value) -> (usize, usize, usize) {
    let scopes = tree.as_array().unwrap();
    let resources: Vec<&Value> = scopes
        .iter()
        .flat_map(|s| s["resources"].as_array().unwrap())
        .collect();
    let rules: usize = resources
        .iter()
        .map(|r| r["rules"].as_array().unwrap().len())
        .sum();
    (scopes.len(), resources.len(), rules)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubegems_files_import_as_they_are_and_export_round_trips() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let files: Vec<Value> = library::read_path(&kubegems_config())
            .unwrap()
            .into_iter()
            .map(|(path, text)| json!({"path": path, "text": text}))
            .collect();
        assert_eq!(
            files.len(),
            13,
            "promql_tpl, system_alert and 11 dashboards"
        );

        // A preview changes nothing.
        let preview = app
            .ok(
                "/api/templates/import",
                json!({"files": files, "apply": false}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(preview["applied"], false);
        let tree = app
            .ok(
                "/api/templates/tree",
                json!({"tenant_id": null}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(count(&tree), (0, 0, 0), "[{backend}] preview wrote");

        let summary = app
            .ok(
                "/api/templates/import",
                json!({"files": files, "apply": true}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(
            summary["added"], preview["added"],
            "the preview told the truth"
        );
        let tree = app
            .ok(
                "/api/templates/tree",
                json!({"tenant_id": null}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(count(&tree), (5, 24, 304), "[{backend}]");
        let dashboards = app
            .ok(
                "/api/templates/dashboards/list",
                json!({}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(dashboards.as_array().unwrap().len(), 11);
        let alerts = app
            .ok(
                "/api/templates/alerts/list",
                json!({}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(alerts.as_array().unwrap().len(), 23);
        // The stray quotes are imported as written and reported.
        let warnings: Vec<String> = summary["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .filter(|w| w.contains("stray"))
            .collect();
        assert_eq!(warnings.len(), 5, "{warnings:#?}");
        assert!(
            warnings.iter().any(|w| w.contains("\"true\\\"\"")),
            "{warnings:#?}"
        );
        let plugin = alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "gems-plugin-failed")
            .unwrap();
        assert_eq!(
            plugin["body"]["promqlGenerator"]["labelMatchers"][0]["value"],
            "true\""
        );

        // Importing the same files again changes nothing.
        let again = app
            .ok(
                "/api/templates/import",
                json!({"files": files, "apply": true}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(again["added"], json!([]));
        assert_eq!(again["updated"], json!([]));

        // Export, then import the export into an empty database: the same library.
        let exported = app
            .ok("/api/templates/export", json!({}), Auth::Cookie(&admin))
            .await;
        let other = TestApp::start(backend).await;
        let other_admin = other.login("admin", ADMIN_PW).await;
        other
            .ok(
                "/api/templates/import",
                json!({"files": exported, "apply": true}),
                Auth::Cookie(&other_admin),
            )
            .await;
        let re_exported = other
            .ok(
                "/api/templates/export",
                json!({}),
                Auth::Cookie(&other_admin),
            )
            .await;
        let strip_ids = |v: &Value| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let text = f["text"].as_str().unwrap();
                    let kept: Vec<&str> = text
                        .lines()
                        .filter(|l| {
                            !["id:", "scopeID:", "resourceID:"]
                                .iter()
                                .any(|k| l.trim_start().trim_start_matches("- ").starts_with(k))
                        })
                        .collect();
                    (f["path"].as_str().unwrap().to_string(), kept.join("\n"))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strip_ids(&re_exported),
            strip_ids(&exported),
            "[{backend}] round trip"
        );
        other.cleanup().await;

        // A non-admin can neither import nor export.
        app.create_user(&admin, "eve", "eve-password-1").await;
        let eve = app.login("eve", "eve-password-1").await;
        let refused = app
            .call(
                "/api/templates/import",
                json!({"files": files, "apply": true}),
                Auth::Cookie(&eve),
            )
            .await;
        assert_eq!(refused.status, 403);
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_adds_missing_presets_and_keeps_edits() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        let first = server::templates::seed(&app.db).await.unwrap();
        assert!(first.added.len() > 50, "{:?}", first.added.len());
        // Gemscope's presets are valid PromQL with known units and names.
        assert!(first.warnings.is_empty(), "{:#?}", first.warnings);
        let second = server::templates::seed(&app.db).await.unwrap();
        assert_eq!(second.added, Vec::<String>::new(), "[{backend}]");

        // An admin edits a preset; seeding again leaves the edit alone.
        let found = app
            .ok(
                "/api/templates/search",
                json!({"tenant_id": null, "query": "system.node.cpuUsagePercent"}),
                Auth::Cookie(&admin),
            )
            .await;
        let rule = &found[0]["rule"];
        let mut edited = rule.clone();
        edited["show_name"] = json!("CPU busy (%)");
        app.ok(
            "/api/templates/rules/update",
            json!({"rule_id": rule["id"], "rule": edited}),
            Auth::Cookie(&admin),
        )
        .await;
        server::templates::seed(&app.db).await.unwrap();
        let after = app
            .ok(
                "/api/templates/search",
                json!({"tenant_id": null, "query": "system.node.cpuUsagePercent"}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(after[0]["rule"]["show_name"], "CPU busy (%)");
        // A preset the system alert set uses cannot be deleted; the refusal names the user.
        let refused = app
            .call(
                "/api/templates/rules/delete",
                json!({"rule_id": rule["id"]}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains("system alert rule \"node-cpu-busy\""),
            "{}",
            refused.body
        );

        // Every preset dashboard and system alert refers to templates that exist.
        let keys: std::collections::HashSet<String> = app
            .ok(
                "/api/templates/search",
                json!({"tenant_id": null, "query": ""}),
                Auth::Cookie(&admin),
            )
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}.{}.{}",
                    t["scope"].as_str().unwrap(),
                    t["resource"].as_str().unwrap(),
                    t["rule"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert!(keys.len() >= 190, "{}", keys.len());
        for scope in [
            "system",
            "containers",
            "middleware",
            "others",
            "opentelemetry",
        ] {
            assert!(
                keys.iter().any(|k| k.starts_with(&format!("{scope}."))),
                "no {scope} presets"
            );
        }
        let dashboards = app
            .ok(
                "/api/templates/dashboards/list",
                json!({}),
                Auth::Cookie(&admin),
            )
            .await;
        assert!(dashboards.as_array().unwrap().len() >= 16);
        for d in dashboards.as_array().unwrap() {
            for g in d["graphs"].as_array().unwrap() {
                for t in g["targets"].as_array().unwrap() {
                    let r = &t["promqlGenerator"];
                    let key = format!(
                        "{}.{}.{}",
                        r["scope"].as_str().unwrap(),
                        r["resource"].as_str().unwrap(),
                        r["rule"].as_str().unwrap()
                    );
                    assert!(
                        keys.contains(&key),
                        "dashboard {} uses missing {key}",
                        d["name"]
                    );
                }
            }
        }
        let alerts = app
            .ok(
                "/api/templates/alerts/list",
                json!({}),
                Auth::Cookie(&admin),
            )
            .await;
        for a in alerts.as_array().unwrap() {
            let g = &a["body"]["promqlGenerator"];
            if g.is_null() {
                // A rule without a template carries its own PromQL.
                let expr = a["body"]["expr"].as_str().unwrap();
                assert!(
                    app::domain::templates::promql("expr", expr).is_ok(),
                    "{expr}"
                );
                continue;
            }
            let key = format!(
                "{}.{}.{}",
                g["scope"].as_str().unwrap(),
                g["resource"].as_str().unwrap(),
                g["rule"].as_str().unwrap()
            );
            assert!(keys.contains(&key), "{} uses missing {key}", a["name"]);
        }
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_see_only_their_rules_and_used_rules_cannot_be_deleted() {
    for backend in backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        server::templates::seed(&app.db).await.unwrap();
        let mut tenant_ids = Vec::new();
        for (tenant, user) in [("team-a", "alice"), ("team-b", "bob")] {
            let t = app
                .ok(
                    "/api/tenants/create",
                    json!({"name": tenant, "description": ""}),
                    Auth::Cookie(&admin),
                )
                .await["id"]
                .as_i64()
                .unwrap();
            app.create_user(&admin, user, "password-123").await;
            app.ok(
                "/api/members/set",
                json!({"tenant_id": t, "username": user, "role": "admin"}),
                Auth::Cookie(&admin),
            )
            .await;
            tenant_ids.push(t);
        }
        let (a, b) = (tenant_ids[0], tenant_ids[1]);
        let alice = app.login("alice", "password-123").await;
        let bob = app.login("bob", "password-123").await;
        let container = app
            .template_resource(&alice, a, "containers", "container")
            .await;

        // A bad expression is refused, naming the field.
        let bad = app
            .call(
                "/api/templates/rules/create",
                json!({"rule": {"resource_id": container, "name": "queueDepth", "expr": "sum(rate(jobs_total[5m])", "unit": "short", "tenant_id": a}}),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(
            (bad.status, bad.body["field"].as_str()),
            (422, Some("expr")),
            "{}",
            bad.body
        );
        let created = app
            .ok(
                "/api/templates/rules/create",
                json!({"rule": {"resource_id": container, "name": "queueDepth", "expr": "sum(jobs_queued) by (namespace, pod)", "unit": "short", "labels": ["namespace", "pod"], "tenant_id": a}}),
                Auth::Cookie(&alice),
            )
            .await;
        let rule_id = created["id"].clone();
        // Same name again in the same resource: 409 on the name.
        let dup = app
            .call(
                "/api/templates/rules/create",
                json!({"rule": {"resource_id": container, "name": "queueDepth", "expr": "x", "tenant_id": a}}),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(
            (dup.status, dup.body["field"].as_str()),
            (409, Some("name"))
        );
        // Presets are for system admins.
        let preset = app
            .call(
                "/api/templates/rules/create",
                json!({"rule": {"resource_id": container, "name": "other", "expr": "x", "tenant_id": null}}),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(preset.status, 403);

        // Bob sees presets and his tenant, never Alice's rule, and cannot touch it.
        let bobs = app
            .ok(
                "/api/templates/search",
                json!({"tenant_id": b, "query": "queueDepth"}),
                Auth::Cookie(&bob),
            )
            .await;
        assert_eq!(bobs, json!([]), "[{backend}]");
        let peek = app
            .call(
                "/api/templates/tree",
                json!({"tenant_id": a}),
                Auth::Cookie(&bob),
            )
            .await;
        assert_eq!(peek.status, 404);
        let steal = app
            .call(
                "/api/templates/rules/delete",
                json!({"rule_id": rule_id}),
                Auth::Cookie(&bob),
            )
            .await;
        assert_eq!(steal.status, 404);
        let found = app
            .ok(
                "/api/templates/search",
                json!({"tenant_id": a, "query": "jobs_queued"}),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(found[0]["rule"]["name"], "queueDepth");

        // A dashboard template uses the rule: deleting it is refused, naming the user.
        app.ok(
            "/api/templates/dashboards/save",
            json!({"template": {"name": "Queues", "graphs": [{"name": "Depth", "unit": "short", "targets": [
                {"targetName": "A", "expr": "", "promqlGenerator": {"scope": "containers", "resource": "container", "rule": "queueDepth"}}]}]}}),
            Auth::Cookie(&admin),
        )
        .await;
        let refused = app
            .call(
                "/api/templates/rules/delete",
                json!({"rule_id": rule_id}),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains("\"Queues\""),
            "{}",
            refused.body
        );
        app.ok(
            "/api/templates/dashboards/delete",
            json!({"name": "Queues"}),
            Auth::Cookie(&admin),
        )
        .await;
        app.ok(
            "/api/templates/rules/delete",
            json!({"rule_id": rule_id}),
            Auth::Cookie(&alice),
        )
        .await;

        // A dashboard template must reference templates that exist.
        let dangling = app
            .call(
                "/api/templates/dashboards/save",
                json!({"template": {"name": "Broken", "graphs": [{"name": "X", "targets": [
                    {"targetName": "A", "promqlGenerator": {"scope": "containers", "resource": "container", "rule": "nope"}}]}]}}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(
            (dangling.status, dangling.body["field"].as_str()),
            (422, Some("graphs[0].targets[0]"))
        );
        app.cleanup().await;
    }
}
