//! Alert rules end to end: a real Prometheus and Alertmanager through the standalone backend
//! (the rule fires, the alert reaches the channel's sink through Gemscope's notify endpoint and
//! the history receiver, disabling silences it with exactly one silence), and validation, import,
//! copy, channel protection and tenant isolation on every database. The Kubernetes backend's part
//! is in alert_rules_kube.rs.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use app::api::alert_rules::{
    AlertRuleBacktest, AlertRuleFiresNow, CopyAlertRule, CreateAlertRule, DeleteAlertRule,
    GetAlertRule, ImportAlertRules, ListAlertRules, SetAlertRuleEnabled, SyncAlertRules,
};
use app::api::audit::ListAudit;
use app::api::channels::{CreateChannel, DeleteChannel};
use app::api::tenancy::CreateEnvironment;
use app::model::{
    AlertLevel, AlertRuleInput, AlertType, AuditFilter, ClusterInput, ClusterKind, ClusterSettings,
    NewEnvironment, RuleReceiver, RuleScope, Severity,
};
use common::real::RealStack;
use common::remote_write::{push, series};
use common::rules::wait_for;
use common::{ADMIN_PW, Auth, Backend, Reply, TenantEnv, TestApp, backends};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

struct World {
    app: TestApp,
    admin: String,
    alice: String,
    env: TenantEnv,
    scope: RuleScope,
    channel: i64,
    sinks: testkit::sinks::Shared,
    cluster: i64,
    rules_dir: PathBuf,
    alertmanager_yml: PathBuf,
    alertmanager_url: String,
}

/// A standalone cluster on the real stack, an environment `shop` where alice is admin, and a
/// webhook channel to the sink.
async fn world(backend: Backend, stack: &RealStack) -> World {
    let (http, _smtp, sinks) = testkit::sinks::serve(
        "127.0.0.1:0".parse().expect("address"),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the sinks");
    let app = TestApp::start_with(backend, |c| c.notify_allow = "127.0.0.1/32".into()).await;
    server::templates::seed(&app.db).await.expect("seed");
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let d = stack.dir.path();
    let (rules_dir, alertmanager_yml) = (d.join("rules"), d.join("alertmanager.yml"));
    let cluster = ClusterInput {
        name: "local".into(),
        kind: ClusterKind::Standalone,
        settings: ClusterSettings {
            prometheus_url: stack.prometheus_url.clone(),
            alertmanager_url: stack.alertmanager_url.clone(),
            rules_dir: rules_dir.display().to_string(),
            alertmanager_config_path: alertmanager_yml.display().to_string(),
            gemscope_url: base,
            alert_group_wait: "1s".into(),
            alert_group_interval: "1s".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let create = app::api::clusters::CreateCluster { cluster };
    let cluster = app.fun_ok(create, Auth::Cookie(&admin)).await["id"]
        .as_i64()
        .expect("cluster id");
    let env = app
        .environment(&admin, "shop-team", ("alice", "admin"), cluster, "shop")
        .await;
    let alice = app.login("alice", "alice-password").await;
    let create = CreateChannel {
        tenant_id: Some(env.tenant),
        channel: common::rules::webhook(&format!("http://{http}/webhook/rules")),
    };
    let channel = app.fun_ok(create, Auth::Cookie(&alice)).await["id"]
        .as_i64()
        .expect("channel id");
    World {
        app,
        admin,
        alice,
        scope: RuleScope::Environment(env.environment),
        env,
        channel,
        sinks,
        cluster,
        rules_dir,
        alertmanager_yml,
        alertmanager_url: stack.alertmanager_url.clone(),
    }
}

/// The queue of `shop` deeper than 10, at once.
fn queue_rule(name: &str, channel: i64) -> AlertRuleInput {
    AlertRuleInput {
        name: name.into(),
        alert_type: AlertType::Monitor,
        expr: "shop_queue_depth{namespace=\"shop\"} > 10".into(),
        for_: "0s".into(),
        alert_levels: vec![AlertLevel {
            severity: Severity::Critical,
            ..Default::default()
        }],
        receivers: vec![RuleReceiver {
            channel_id: channel,
            interval: "2s".into(),
        }],
        is_open: true,
        ..Default::default()
    }
}

impl World {
    fn auth(&self) -> Auth<'_> {
        Auth::Cookie(&self.alice)
    }

    fn rule(&self, name: &str) -> AlertRuleInput {
        queue_rule(name, self.channel)
    }

    async fn create(&self, rule: AlertRuleInput) -> Value {
        let scope = self.scope;
        self.app
            .fun_ok(CreateAlertRule { scope, rule }, self.auth())
            .await
    }

    async fn try_create(&self, rule: AlertRuleInput) -> Reply {
        let scope = self.scope;
        self.app
            .fun(CreateAlertRule { scope, rule }, self.auth())
            .await
    }

    async fn enable(&self, name: &str, enabled: bool) {
        let set = SetAlertRuleEnabled {
            scope: self.scope,
            name: name.into(),
            enabled,
        };
        self.app.fun_ok(set, self.auth()).await;
    }

    async fn get(&self, scope: RuleScope, name: &str) -> Value {
        let get = GetAlertRule {
            scope,
            name: name.into(),
        };
        self.app.fun_ok(get, self.auth()).await
    }

    async fn delete(&self, scope: RuleScope, name: &str) {
        let delete = DeleteAlertRule {
            scope,
            name: name.into(),
        };
        self.app.fun_ok(delete, self.auth()).await;
    }

    async fn list(&self) -> Value {
        let scope = self.scope;
        self.app.fun_ok(ListAlertRules { scope }, self.auth()).await
    }

    async fn state(&self, name: &str) -> String {
        let list = self.list().await;
        list["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["spec"]["name"] == name)
            .and_then(|r| r["state"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn notifications(&self, name: &str) -> usize {
        self.sinks
            .received("webhook")
            .iter()
            .filter(|r| r.json["alerts"][0]["labels"]["gems_alertname"] == name)
            .filter(|r| r.json["status"] == "firing")
            .count()
    }

    fn rule_file(&self, name: &str) -> PathBuf {
        self.rules_dir.join(format!("alert_shop_{name}.yml"))
    }

    fn alertmanager_yml(&self) -> String {
        std::fs::read_to_string(&self.alertmanager_yml).expect("alertmanager.yml")
    }

    /// Silences in force that disable `name` (found the way Gemscope finds them).
    async fn silences(&self, name: &str) -> usize {
        let url = format!("{}/api/v2/silences", self.alertmanager_url);
        let all: Vec<Value> = reqwest::get(url)
            .await
            .expect("Alertmanager answers")
            .json()
            .await
            .expect("silences");
        all.iter()
            .filter(|s| s["status"]["state"] == "active")
            .filter(|s| s["comment"] == format!("silence for {name}"))
            .filter(|s| {
                s["matchers"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m["value"] == "shop"))
            })
            .count()
    }

    /// Creates `queue-deep` over a queue 50 deep and waits until its alert reached the sink.
    async fn firing(&self, stack: &RealStack) {
        let now = chrono::Utc::now().timestamp();
        let deep = series("shop_queue_depth", &[("namespace", "shop")], &[(now, 50.0)]);
        push(&stack.prometheus_url, vec![deep]).await;
        self.create(self.rule("queue-deep")).await;
        wait_for("the rule to fire", 30, async || {
            self.state("queue-deep").await == "firing"
        })
        .await;
        wait_for("a notification at the sink", 30, async || {
            self.notifications("queue-deep") > 0
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_rule_notifies_its_channel_and_the_history_of_its_environment() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let w = world(Backend::Sqlite, &stack).await;
    w.firing(&stack).await;
    let text = std::fs::read_to_string(w.rule_file("queue-deep")).expect("the rule file");
    assert!(text.contains("gems_alertname: queue-deep"), "{text}");
    let routing = w.alertmanager_yml();
    assert!(
        routing.contains("shop/queue-deep/gemscope-history"),
        "{routing}"
    );
    wait_for("the history receiver", 30, async || {
        use server::db::entities::alert_instance;
        alert_instance::Entity::find()
            .filter(alert_instance::Column::AlertName.eq("queue-deep"))
            .one(&w.app.db)
            .await
            .expect("query")
            .is_some_and(|i| i.environment_id == Some(w.env.environment))
    })
    .await;
    let detail = w.get(w.scope, "queue-deep").await;
    assert_eq!(detail["rule"]["state"], "firing");
    assert_eq!(
        detail["alerts"][0]["labels"]["namespace"], "shop",
        "{detail}"
    );
    let shown = detail["objects"]["alertmanager_config"]
        .as_str()
        .unwrap_or_default();
    assert!(
        shown.contains("<gemscope>/api/notify/") && !shown.contains("http://127.0.0.1"),
        "tokens are not shown: {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fires_now_and_the_backtest_see_only_the_series_of_the_environment() {
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
    let fires = AlertRuleFiresNow {
        scope: w.scope,
        rule: w.rule("queue-deep"),
    };
    let check = w.app.fun_ok(fires, w.auth()).await;
    let found = check[0]["series"].as_array().map(Vec::len);
    assert_eq!(found, Some(1), "{check}");
    assert_eq!(check[0]["series"][0]["value"], 50.0);
    // The backtest sees the queue over the threshold since the sample was written.
    let backtest = AlertRuleBacktest {
        scope: w.scope,
        rule: w.rule("queue-deep"),
        range_secs: 600,
    };
    let bt = w.app.fun_ok(backtest, w.auth()).await;
    assert_eq!(bt["series"].as_array().map(Vec::len), Some(1), "{bt}");
    let bands = bt["levels"][0]["bands"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!bands.is_empty(), "{bt}");
    assert!(bands[0][1].as_i64().unwrap_or_default() >= now - 60, "{bt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_is_one_silence_that_stops_notifications_and_enabling_resumes_them() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let w = world(Backend::Sqlite, &stack).await;
    w.firing(&stack).await;
    w.enable("queue-deep", false).await;
    assert_eq!(w.silences("queue-deep").await, 1);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = w.notifications("queue-deep");
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        w.notifications("queue-deep"),
        before,
        "a disabled rule notifies nobody"
    );
    w.enable("queue-deep", true).await;
    assert_eq!(w.silences("queue-deep").await, 0, "the silence is expired");
    wait_for("notifications to resume", 30, async || {
        w.notifications("queue-deep") > before
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toggling_and_resyncing_never_make_a_second_silence_or_a_write() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let w = world(Backend::Sqlite, &stack).await;
    w.create(w.rule("queue-deep")).await;
    for i in 0..10 {
        w.enable("queue-deep", i % 2 == 1).await;
    }
    w.enable("queue-deep", false).await;
    let file = w.rule_file("queue-deep");
    let modified = || std::fs::metadata(&file).and_then(|m| m.modified()).ok();
    let before = modified();
    for _ in 0..10 {
        let scope = w.scope;
        let items = w.app.fun_ok(SyncAlertRules { scope }, w.auth()).await;
        assert_eq!(items[0]["error"], "", "{items}");
        assert_eq!(items[0]["created"], false, "nothing to write: {items}");
    }
    assert_eq!(w.silences("queue-deep").await, 1);
    assert!(before.is_some());
    assert_eq!(modified(), before, "the rule file was not written again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_rule_removes_its_file_its_route_and_its_silence() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let w = world(Backend::Sqlite, &stack).await;
    w.create(w.rule("queue-deep")).await;
    w.enable("queue-deep", false).await;
    assert_eq!(w.silences("queue-deep").await, 1);
    w.delete(w.scope, "queue-deep").await;
    assert!(!w.rule_file("queue-deep").exists());
    assert_eq!(w.silences("queue-deep").await, 0);
    let routing = w.alertmanager_yml();
    assert!(!routing.contains("queue-deep"), "{routing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_its_field_and_writes_nothing_on_every_database() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        let r = w.try_create(w.rule("Bad_Name")).await;
        assert_eq!(r.status, 422, "{backend}: {}", r.body);
        assert_eq!(r.body["field"], "name");
        let other_namespace = AlertRuleInput {
            expr: "shop_queue_depth{namespace=\"other\"} > 1".into(),
            ..w.rule("other-ns")
        };
        let r = w.try_create(other_namespace).await;
        assert_eq!(r.body["field"], "expr", "{backend}: {}", r.body);
        let list = w.list().await;
        assert_eq!(list["rules"].as_array().map(Vec::len), Some(0));
        w.app.cleanup().await;
    }
}

/// Three items: one fine, one outside the namespace, one from a template.
fn import_file(channel: i64) -> String {
    let receivers = format!("receivers: [{{alertChannelID: {channel}, interval: 1h}}]");
    format!(
        "- name: imported-ok\n  alertType: monitor\n  expr: 'up{{namespace=\"__namespace__\"}} == 0'\n  for: 1m\n  alertLevels: [{{severity: error}}]\n  {receivers}\n\
         - name: imported-bad\n  alertType: monitor\n  expr: 'up == 0'\n  for: 1m\n  alertLevels: [{{severity: error}}]\n  {receivers}\n\
         - name: imported-template\n  alertType: monitor\n  promqlGenerator: {{scope: containers, resource: container, rule: cpuUsagePercent, unit: percent-0-100}}\n  for: 5m\n  alertLevels: [{{compareOp: '>', compareValue: '80', severity: error}}, {{compareOp: '>', compareValue: '95', severity: critical}}]\n  inhibitLabels: [pod]\n  {receivers}\n"
    )
}

impl World {
    async fn import(&self) -> Vec<Value> {
        let import = ImportAlertRules {
            scope: self.scope,
            yaml: import_file(self.channel),
        };
        let items = self.app.fun_ok(import, self.auth()).await;
        items.as_array().cloned().unwrap_or_default()
    }

    /// A second environment of alice's tenant, `shop-staging`.
    async fn staging(&self) -> RuleScope {
        let create = CreateEnvironment {
            tenant_id: self.env.tenant,
            project_id: self.env.project,
            environment: NewEnvironment {
                name: "staging".into(),
                cluster_id: self.cluster,
                namespace: "shop-staging".into(),
                description: String::new(),
            },
        };
        let id = self.app.fun_ok(create, Auth::Cookie(&self.admin)).await["id"]
            .as_i64()
            .expect("environment id");
        RuleScope::Environment(id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_takes_each_item_on_its_own_in_the_environments_namespace_and_is_audited() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        let items = w.import().await;
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["created"], true, "{items:?}");
        assert_eq!(items[1]["created"], false);
        let error = items[1]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("namespace=\\\"shop\\\"") || error.contains("namespace=\"shop\""),
            "{items:?}"
        );
        assert_eq!(items[2]["created"], true, "{items:?}");
        let detail = w.get(w.scope, "imported-template").await;
        assert_eq!(
            detail["rule"]["spec"]["expr"],
            "gems_container_cpu_usage_percent{namespace=\"shop\"}"
        );
        let all = ListAudit {
            filter: AuditFilter::default(),
        };
        let audit = w.app.fun_ok(all, w.auth()).await;
        let audited = audit.as_array().into_iter().flatten();
        assert!(
            audited.clone().any(|e| e["action"] == "alert_rule.import"),
            "{audit}"
        );
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_in_use_is_not_deleted_and_names_its_rules() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        w.create(w.rule("queue-deep")).await;
        let delete = DeleteChannel {
            channel_id: w.channel,
        };
        let r = w.app.fun(delete, w.auth()).await;
        assert_eq!(r.status, 409, "[{backend}] {}", r.body);
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("queue-deep"), "{message}");
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_to_another_environment_moves_the_namespace_along() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        w.import().await;
        let staging = w.staging().await;
        let copy = CopyAlertRule {
            scope: w.scope,
            name: "imported-ok".into(),
            to: staging,
        };
        let copied = w.app.fun_ok(copy, w.auth()).await;
        assert_eq!(copied["namespace"], "shop-staging");
        assert_eq!(
            copied["spec"]["expr"],
            "up{namespace=\"shop-staging\"} == 0"
        );
        w.delete(staging, "imported-ok").await;
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_can_neither_see_nor_copy_the_rules_nor_route_to_the_channel() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in backends() {
        let w = world(backend, &stack).await;
        w.create(w.rule("queue-deep")).await;
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
        let as_mallory = || Auth::Cookie(&mallory);
        let theirs = RuleScope::Environment(other.environment);
        let list = ListAlertRules { scope: w.scope };
        let r = w.app.fun(list, as_mallory()).await;
        assert_eq!(r.status, 404, "[{backend}] {}", r.body);
        let copy = CopyAlertRule {
            scope: w.scope,
            name: "queue-deep".into(),
            to: theirs,
        };
        let r = w.app.fun(copy, as_mallory()).await;
        assert_eq!(r.status, 404, "[{backend}] {}", r.body);
        let stolen = AlertRuleInput {
            expr: "up{namespace=\"mall\"} == 0".into(),
            ..w.rule("stolen")
        };
        let create = CreateAlertRule {
            scope: theirs,
            rule: stolen,
        };
        let r = w.app.fun(create, as_mallory()).await;
        assert_eq!(r.body["field"], "receivers", "[{backend}] {}", r.body);
        w.app.cleanup().await;
    }
}
