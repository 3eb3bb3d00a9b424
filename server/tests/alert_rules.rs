//! Alert rules end to end: a real Prometheus and Alertmanager through the standalone backend
//! (the rule fires, the alert reaches the channel's sink through Gemscope's notify endpoint and
//! the history receiver, disabling silences it with exactly one silence), and import, copy,
//! channel protection and tenant isolation on every database. The Kubernetes backend's part is
//! in alert_rules_kube.rs.

mod common;

use std::time::Duration;

use common::real::RealStack;
use common::remote_write::{push, series};
use common::rules::wait_for;
use common::{ADMIN_PW, Auth, Backend, TestApp, backends};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

struct World {
    app: TestApp,
    admin: String,
    alice: String,
    env: i64,
    channel: i64,
    sinks: testkit::sinks::Shared,
    cluster: i64,
}

/// A standalone cluster on the real stack, an environment `shop` where alice is admin, and a
/// webhook channel to the sink.
async fn world(backend: Backend, stack: &RealStack) -> World {
    let (http, _smtp, sinks) = testkit::sinks::serve(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let app = TestApp::start_with(backend, |c| c.notify_allow = "127.0.0.1/32".into()).await;
    server::templates::seed(&app.db).await.unwrap();
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let d = stack.dir.path();
    let cluster = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "local", "kind": "standalone", "settings": {
                "prometheus_url": stack.prometheus_url,
                "alertmanager_url": stack.alertmanager_url,
                "rules_dir": d.join("rules").display().to_string(),
                "alertmanager_config_path": d.join("alertmanager.yml").display().to_string(),
                "gemscope_url": base,
                "alert_group_wait": "1s",
                "alert_group_interval": "1s",
            }}}),
            Auth::Cookie(&admin),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let env = app
        .environment(&admin, "shop-team", ("alice", "admin"), cluster, "shop")
        .await;
    let alice = app.login("alice", "alice-password").await;
    let channel = app
        .ok(
            "/api/channels/create",
            json!({"tenant_id": env.tenant, "channel": {"name": "hook", "config": {"type": "webhook", "url": {"value": format!("http://{http}/webhook/rules")}}}}),
            Auth::Cookie(&alice),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    World {
        app,
        admin,
        alice,
        env: env.environment,
        channel,
        sinks,
        cluster,
    }
}

fn scope(env: i64) -> Value {
    json!({"kind": "environment", "id": env})
}

impl World {
    async fn rules(&self, path: &str, body: Value) -> Value {
        self.app
            .ok(&format!("/api/{path}"), body, Auth::Cookie(&self.alice))
            .await
    }

    async fn try_rules(&self, path: &str, body: Value) -> common::Reply {
        self.app
            .call(&format!("/api/{path}"), body, Auth::Cookie(&self.alice))
            .await
    }

    fn queue_rule(&self, name: &str) -> Value {
        json!({
            "name": name,
            "alertType": "monitor",
            "expr": "shop_queue_depth{namespace=\"shop\"} > 10",
            "for": "0s",
            "alertLevels": [{"severity": "critical"}],
            "receivers": [{"alertChannelID": self.channel, "interval": "2s"}],
        })
    }

    async fn state(&self, name: &str) -> String {
        let list = self
            .rules("alert-rules/list", json!({"scope": scope(self.env)}))
            .await;
        list["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["spec"]["name"] == name)
            .map(|r| r["state"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }

    fn notifications(&self, name: &str) -> usize {
        self.sinks
            .received("webhook")
            .iter()
            .filter(|r| r.json["alerts"][0]["labels"]["gems_alertname"] == name)
            .filter(|r| r.json["status"] == "firing")
            .count()
    }
}

/// Silences in force that disable `name` (found the way Gemscope finds them).
async fn rule_silences(am: &str, ns: &str, name: &str) -> usize {
    let all: Vec<Value> = reqwest::get(format!("{am}/api/v2/silences"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.iter()
        .filter(|s| s["status"]["state"] == "active")
        .filter(|s| s["comment"] == format!("silence for {name}"))
        .filter(|s| {
            s["matchers"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m["value"] == ns))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_fires_notifies_and_disabling_silences_it() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let w = world(Backend::Sqlite, &stack).await;
    let now = chrono::Utc::now().timestamp();
    push(
        &stack.prometheus_url,
        vec![
            series("shop_queue_depth", &[("namespace", "shop")], &[(now, 50.0)]),
            series(
                "shop_queue_depth",
                &[("namespace", "other")],
                &[(now, 99.0)],
            ),
        ],
    )
    .await;

    let created = w
        .rules(
            "alert-rules/create",
            json!({"scope": scope(w.env), "rule": w.queue_rule("queue-deep")}),
        )
        .await;
    assert_eq!(created["sync"]["ok"], true);
    let rule_file = stack.dir.path().join("rules/alert_shop_queue-deep.yml");
    let text = std::fs::read_to_string(&rule_file).unwrap();
    assert!(text.contains("gems_alertname: queue-deep"), "{text}");
    let am_file = std::fs::read_to_string(stack.dir.path().join("alertmanager.yml")).unwrap();
    assert!(
        am_file.contains("shop/queue-deep/gemscope-history"),
        "{am_file}"
    );

    // Fires now? shows the one series of this namespace over the threshold.
    let check = w
        .rules(
            "alert-rules/fires-now",
            json!({"scope": scope(w.env), "rule": w.queue_rule("queue-deep")}),
        )
        .await;
    assert_eq!(check[0]["series"].as_array().unwrap().len(), 1, "{check}");
    assert_eq!(check[0]["series"][0]["value"], 50.0);

    wait_for("the rule to fire", 30, async || {
        w.state("queue-deep").await == "firing"
    })
    .await;
    wait_for("a notification at the sink", 30, async || {
        w.notifications("queue-deep") > 0
    })
    .await;
    // The history receiver stored it for the tenant's environment.
    wait_for("the history receiver", 30, async || {
        server::db::entities::alert_instance::Entity::find()
            .filter(server::db::entities::alert_instance::Column::AlertName.eq("queue-deep"))
            .one(&w.app.db)
            .await
            .unwrap()
            .is_some_and(|i| i.environment_id == Some(w.env))
    })
    .await;
    // The backtest sees the queue over the threshold since the sample was written.
    let bt = w
        .rules(
            "alert-rules/backtest",
            json!({"scope": scope(w.env), "rule": w.queue_rule("queue-deep"), "range_secs": 600}),
        )
        .await;
    assert_eq!(bt["series"].as_array().unwrap().len(), 1, "{bt}");
    let bands = bt["levels"][0]["bands"].as_array().unwrap();
    assert!(!bands.is_empty(), "{bt}");
    assert!(bands[0][1].as_i64().unwrap() >= now - 60, "{bt}");
    let detail = w
        .rules(
            "alert-rules/get",
            json!({"scope": scope(w.env), "name": "queue-deep"}),
        )
        .await;
    assert_eq!(detail["rule"]["state"], "firing");
    assert_eq!(
        detail["alerts"][0]["labels"]["namespace"], "shop",
        "{detail}"
    );
    let shown = detail["objects"]["alertmanager_config"].as_str().unwrap();
    assert!(
        shown.contains("<gemscope>/api/notify/") && !shown.contains("http://127.0.0.1"),
        "tokens are not shown: {shown}"
    );

    // Disabled: exactly one silence, and no further notification.
    w.rules(
        "alert-rules/enable",
        json!({"scope": scope(w.env), "name": "queue-deep", "enabled": false}),
    )
    .await;
    assert_eq!(
        rule_silences(&stack.alertmanager_url, "shop", "queue-deep").await,
        1
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = w.notifications("queue-deep");
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        w.notifications("queue-deep"),
        before,
        "a disabled rule notifies nobody"
    );

    // Enabled: the silence is expired and notifications resume.
    w.rules(
        "alert-rules/enable",
        json!({"scope": scope(w.env), "name": "queue-deep", "enabled": true}),
    )
    .await;
    assert_eq!(
        rule_silences(&stack.alertmanager_url, "shop", "queue-deep").await,
        0
    );
    wait_for("notifications to resume", 30, async || {
        w.notifications("queue-deep") > before
    })
    .await;

    // Toggling and re-syncing never makes a second silence; a re-sync writes nothing.
    for i in 0..10 {
        w.rules(
            "alert-rules/enable",
            json!({"scope": scope(w.env), "name": "queue-deep", "enabled": i % 2 == 1}),
        )
        .await;
    }
    w.rules(
        "alert-rules/enable",
        json!({"scope": scope(w.env), "name": "queue-deep", "enabled": false}),
    )
    .await;
    let modified = std::fs::metadata(&rule_file).unwrap().modified().unwrap();
    for _ in 0..10 {
        let items = w
            .rules("alert-rules/sync", json!({"scope": scope(w.env)}))
            .await;
        assert_eq!(items[0]["error"], "", "{items}");
        assert_eq!(items[0]["created"], false, "nothing to write: {items}");
    }
    assert_eq!(
        rule_silences(&stack.alertmanager_url, "shop", "queue-deep").await,
        1
    );
    assert_eq!(
        std::fs::metadata(&rule_file).unwrap().modified().unwrap(),
        modified
    );

    // Deleting removes the file, the route and the silence.
    w.rules(
        "alert-rules/delete",
        json!({"scope": scope(w.env), "name": "queue-deep"}),
    )
    .await;
    assert!(!rule_file.exists());
    assert_eq!(
        rule_silences(&stack.alertmanager_url, "shop", "queue-deep").await,
        0
    );
    let am_file = std::fs::read_to_string(stack.dir.path().join("alertmanager.yml")).unwrap();
    assert!(!am_file.contains("queue-deep"), "{am_file}");
    let _ = (&w.admin, w.cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_copy_validation_and_isolation_on_every_database() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        // Bad input names the field and writes nothing.
        let mut bad = w.queue_rule("Bad_Name");
        let r = w
            .try_rules(
                "alert-rules/create",
                json!({"scope": scope(w.env), "rule": bad.clone()}),
            )
            .await;
        assert_eq!(r.status, 422, "{backend}: {}", r.body);
        assert_eq!(r.body["field"], "name");
        bad["name"] = json!("other-ns");
        bad["expr"] = json!("shop_queue_depth{namespace=\"other\"} > 1");
        let r = w
            .try_rules(
                "alert-rules/create",
                json!({"scope": scope(w.env), "rule": bad}),
            )
            .await;
        assert_eq!(r.body["field"], "expr", "{backend}: {}", r.body);
        let list = w
            .rules("alert-rules/list", json!({"scope": scope(w.env)}))
            .await;
        assert_eq!(list["rules"].as_array().unwrap().len(), 0);

        // Import: each item on its own; `__namespace__` is the environment's namespace.
        let yaml = format!(
            "- name: imported-ok\n  alertType: monitor\n  expr: 'up{{namespace=\"__namespace__\"}} == 0'\n  for: 1m\n  alertLevels: [{{severity: error}}]\n  receivers: [{{alertChannelID: {c}, interval: 1h}}]\n\
             - name: imported-bad\n  alertType: monitor\n  expr: 'up == 0'\n  for: 1m\n  alertLevels: [{{severity: error}}]\n  receivers: [{{alertChannelID: {c}, interval: 1h}}]\n\
             - name: imported-template\n  alertType: monitor\n  promqlGenerator: {{scope: containers, resource: container, rule: cpuUsagePercent, unit: percent-0-100}}\n  for: 5m\n  alertLevels: [{{compareOp: '>', compareValue: '80', severity: error}}, {{compareOp: '>', compareValue: '95', severity: critical}}]\n  inhibitLabels: [pod]\n  receivers: [{{alertChannelID: {c}, interval: 1h}}]\n",
            c = w.channel
        );
        let items = w
            .rules(
                "alert-rules/import",
                json!({"scope": scope(w.env), "yaml": yaml}),
            )
            .await;
        let items = items.as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["created"], true, "{items:?}");
        assert_eq!(items[1]["created"], false);
        assert!(
            items[1]["error"]
                .as_str()
                .unwrap()
                .contains("namespace=\\\"shop\\\"")
                || items[1]["error"]
                    .as_str()
                    .unwrap()
                    .contains("namespace=\"shop\""),
            "{items:?}"
        );
        assert_eq!(items[2]["created"], true, "{items:?}");
        let detail = w
            .rules(
                "alert-rules/get",
                json!({"scope": scope(w.env), "name": "imported-template"}),
            )
            .await;
        assert_eq!(
            detail["rule"]["spec"]["expr"],
            "gems_container_cpu_usage_percent{namespace=\"shop\"}"
        );

        // A channel in use cannot be deleted.
        let r = w
            .try_rules("channels/delete", json!({"channel_id": w.channel}))
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body["message"].as_str().unwrap().contains("imported-ok"));

        // Copy into a second environment of the same tenant, namespace moved along.
        let second = w
            .app
            .ok(
                "/api/environments/create",
                json!({"tenant_id": env_tenant(&w).await, "project_id": env_project(&w).await, "environment": {"name": "staging", "cluster_id": w.cluster, "namespace": "shop-staging", "description": ""}}),
                Auth::Cookie(&w.admin),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let copied = w
            .rules(
                "alert-rules/copy",
                json!({"scope": scope(w.env), "name": "imported-ok", "to": scope(second)}),
            )
            .await;
        assert_eq!(copied["namespace"], "shop-staging");
        assert_eq!(
            copied["spec"]["expr"],
            "up{namespace=\"shop-staging\"} == 0"
        );

        // Another tenant sees nothing of it.
        w.app
            .create_user(&w.admin, "mallory", "mallory-password")
            .await;
        let other = w
            .app
            .environment(
                &w.admin,
                "other-team",
                ("mallory", "admin"),
                w.cluster,
                "mall",
            )
            .await;
        let mallory = w.app.login("mallory", "mallory-password").await;
        let r = w
            .app
            .call(
                "/api/alert-rules/list",
                json!({"scope": scope(w.env)}),
                Auth::Cookie(&mallory),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = w
            .app
            .call(
                "/api/alert-rules/copy",
                json!({"scope": scope(w.env), "name": "imported-ok", "to": scope(other.environment)}),
                Auth::Cookie(&mallory),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        // Mallory cannot route her rules to the shop team's channel either.
        let mut stolen = w.queue_rule("stolen");
        stolen["expr"] = json!("up{namespace=\"mall\"} == 0");
        let r = w
            .app
            .call(
                "/api/alert-rules/create",
                json!({"scope": scope(other.environment), "rule": stolen}),
                Auth::Cookie(&mallory),
            )
            .await;
        assert_eq!(r.body["field"], "receivers", "{}", r.body);

        // Every mutation is audited against the owning tenant.
        let audit = w.rules("audit/list", json!({"filter": {}})).await;
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "alert_rule.import"),
            "{audit}"
        );
        for name in ["imported-ok", "imported-template"] {
            w.rules(
                "alert-rules/delete",
                json!({"scope": scope(w.env), "name": name}),
            )
            .await;
        }
        w.rules(
            "alert-rules/delete",
            json!({"scope": scope(second), "name": "imported-ok"}),
        )
        .await;
        w.app.cleanup().await;
    }
}

async fn env_tenant(w: &World) -> i64 {
    server::db::entities::environment::Entity::find_by_id(w.env)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap()
        .tenant_id
}

async fn env_project(w: &World) -> i64 {
    server::db::entities::environment::Entity::find_by_id(w.env)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap()
        .project_id
}
