//! The config check on Kubernetes: drift found and repaired, orphans removed, system rules kept once.

use super::*;

/// A JSON merge patch on the fake API server.
async fn patch(base: &str, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .patch(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/merge-patch+json")
        .json(&body)
        .send()
        .await
        .expect("the fake answers");
    let status = r.status();
    assert!(
        status.is_success(),
        "{path}: {status} {}",
        r.text().await.unwrap_or_default()
    );
}

const RULE: &str = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/queue-deep";
const GHOST: &str = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/ghost";
const SECRET: &str = "/api/v1/namespaces/shop/secrets/gemscope-receivers-queue-deep";
const LOKI_RULES: &str = "/api/v1/namespaces/kubegems-logging/configmaps/kubegems-loki-rules";

/// A Kubernetes cluster on the fake API server in front of the real stack, an environment
/// `shop` of the admin's, a channel, and the rule `queue-deep` written there.
struct Drift {
    app: TestApp,
    admin: String,
    base: String,
    cluster: i64,
    env: i64,
    channel: i64,
    _api_server: tokio::task::JoinHandle<()>,
    _stack: RealStack,
}

async fn drift() -> Option<Drift> {
    let common::fake_kube::MonitoredCluster {
        app,
        admin,
        cluster,
        base,
        api_server,
        stack,
        ..
    } = common::fake_kube::monitored_cluster().await?;
    let env = app
        .environment(&admin, "shop-team", ("admin", "admin"), cluster, "shop")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let deep = "shop_queue_depth{namespace=\"shop\"} > 10";
    let rule = ("queue-deep", deep, "1m");
    monitor_rule(&app, &admin, env.environment, channel, rule).await;
    Some(Drift {
        app,
        admin,
        base,
        cluster,
        env: env.environment,
        channel,
        _api_server: api_server,
        _stack: stack,
    })
}

impl Drift {
    async fn get(&self, path: &str) -> Value {
        common::fake_kube::get(&self.base, path)
            .await
            .unwrap_or_else(|| panic!("{path} is there"))
    }

    async fn check(&self) -> RunCounts {
        run_job(&self.app, JobKind::AlertConfigCheck).await
    }

    /// Changes the rule's threshold to 999 behind Gemscope's back.
    async fn edit_rule(&self) {
        let mut live = self.get(RULE).await;
        live["spec"]["groups"][0]["rules"][0]["expr"] =
            json!("shop_queue_depth{namespace=\"shop\"} > 999");
        patch(&self.base, RULE, json!({"spec": live["spec"]})).await;
    }

    /// A PrometheusRule labelled as Gemscope's that no rule owns; returns its orphan id after a
    /// check.
    async fn ghost(&self) -> i64 {
        common::fake_kube::create(
            &self.base,
            "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules",
            json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                "metadata": {"name": "ghost", "namespace": "shop", "labels": {
                    "app.kubernetes.io/managed-by": "gemscope",
                    "prometheusrule.kubegems.io/type": "monitor",
                    "prometheusrule.kubegems.io/name": "ghost"}},
                "spec": {"groups": [{"name": "ghost", "rules": [{"alert": "ghost", "expr": "vector(1)"}]}]}}),
        )
        .await;
        self.check().await;
        let report = self
            .app
            .fun_ok(ListDrift {}, Auth::Cookie(&self.admin))
            .await;
        assert_eq!(report[0]["orphans"][0]["name"], "ghost", "{report}");
        assert_eq!(report[0]["orphans"][0]["kind"], "PrometheusRule");
        report[0]["orphans"][0]["id"].as_i64().expect("orphan id")
    }

    async fn repair(&self, session: &str, target: RepairTarget) -> common::Reply {
        self.app
            .fun(RepairDrift { target }, Auth::Cookie(session))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_in_step_is_no_drift_and_no_series_now_is_only_a_warning() {
    let Some(d) = drift().await else { return };
    let counts = d.check().await;
    assert_eq!(
        (counts.checked, counts.drifted, counts.errors),
        (1, 0, 0),
        "{counts:?}"
    );
    let r = rule_row(&d.app, "queue-deep").await;
    assert_eq!(r.check_status, "warning");
    let detail = r.check_detail.unwrap_or_default();
    assert!(
        detail.contains("the expression returns no series now"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_edited_behind_gemscopes_back_is_drift_with_a_diff_until_repaired() {
    let Some(d) = drift().await else { return };
    d.edit_rule().await;
    let counts = d.check().await;
    assert_eq!((counts.checked, counts.drifted), (1, 1), "{counts:?}");
    let r = rule_row(&d.app, "queue-deep").await;
    assert_eq!(r.check_status, "error");
    let detail: Value =
        serde_json::from_str(&r.check_detail.unwrap_or_default()).expect("a check detail");
    assert_eq!(
        detail["problems"][0],
        "PrometheusRule shop/queue-deep differs from the database"
    );
    let diff = detail["diff"].as_str().unwrap_or_default();
    assert!(diff.contains("> 999"), "{diff}");
    assert!(diff.contains("(Gemscope database)"), "{diff}");
    let out = repair_rule(&d.app, &d.admin, "queue-deep").await;
    assert_eq!(out["repaired"], json!(["shop/queue-deep"]));
    let live = d.get(RULE).await;
    assert_eq!(
        live["spec"]["groups"][0]["rules"][0]["expr"],
        "shop_queue_depth{namespace=\"shop\"} > 10"
    );
    assert_eq!(rule_row(&d.app, "queue-deep").await.check_status, "warning");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_labelled_as_gemscopes_that_no_rule_owns_is_an_orphan_until_deleted() {
    let Some(d) = drift().await else { return };
    let orphan = d.ghost().await;
    let r = d.repair(&d.admin, RepairTarget::Orphan(orphan)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(common::fake_kube::get(&d.base, GHOST).await.is_none());
    let rows = rule_orphan::Entity::find()
        .count(&d.app.db)
        .await
        .expect("count");
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_system_admins_read_the_drift_report_and_repair_and_every_repair_is_audited() {
    let Some(d) = drift().await else { return };
    let orphan = d.ghost().await;
    d.app.create_user(&d.admin, "eve", "eve-password-1").await;
    let eve = d.app.login("eve", "eve-password-1").await;
    let r = d.app.fun(ListDrift {}, Auth::Cookie(&eve)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = d.repair(&eve, RepairTarget::Orphan(orphan)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    d.edit_rule().await;
    d.check().await;
    repair_rule(&d.app, &d.admin, "queue-deep").await;
    d.repair(&d.admin, RepairTarget::Orphan(orphan)).await;
    let repairs = app::api::audit::ListAudit {
        filter: app::model::AuditFilter {
            action: Some("drift.repair".into()),
            ..Default::default()
        },
    };
    let audit = d.app.fun_ok(repairs, Auth::Cookie(&d.admin)).await;
    let rows: Vec<(Value, Value, Value)> = audit
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["username"].clone(),
                a["target"].clone(),
                a["success"].clone(),
            )
        })
        .collect();
    let orphan = json!(format!("orphan {orphan}"));
    assert_eq!(
        rows,
        vec![
            (json!("admin"), orphan.clone(), json!(true)),
            (json!("admin"), json!("rule 1"), json!(true)),
            (json!("eve"), orphan, json!(false)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_receiver_url_in_the_secret_is_found_never_shown_and_repaired() {
    let Some(d) = drift().await else { return };
    let original = d.get(SECRET).await;
    let forged = json!({"gemscope-history": "aHR0cDovL2F0dGFja2VyLmV4YW1wbGUv"});
    patch(&d.base, SECRET, json!({"data": forged})).await;
    d.check().await;
    let r = rule_row(&d.app, "queue-deep").await;
    assert_eq!(r.check_status, "error");
    let detail = r.check_detail.unwrap_or_default();
    assert!(
        detail.contains("does not hold the receiver URLs"),
        "{detail}"
    );
    let token = original["data"]["gemscope-history"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !token.is_empty() && !detail.contains(token),
        "the report shows no receiver URL"
    );
    repair_rule(&d.app, &d.admin, "queue-deep").await;
    assert_eq!(d.get(SECRET).await["data"], original["data"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_rules_need_a_system_channel_are_made_once_and_a_deleted_one_comes_back() {
    let Some(d) = drift().await else { return };
    let err = d
        .app
        .state
        .jobs
        .execute(JobKind::SystemAlertRules)
        .await
        .expect_err("no system-wide channel yet");
    assert!(
        matches!(err, server::jobs::error::JobError::NotReady(m) if m.contains("no system-wide alert channel")),
        "{err}"
    );
    let create = app::api::channels::CreateChannel {
        tenant_id: None,
        channel: app::model::ChannelInput {
            name: "ops".into(),
            ..common::rules::webhook("https://hooks.example.com/ops")
        },
    };
    d.app.fun_ok(create, Auth::Cookie(&d.admin)).await;
    let system = || async {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::Namespace.eq("kubegems-monitoring"))
            .count(&d.app.db)
            .await
            .expect("count")
    };
    let first = run_job(&d.app, JobKind::SystemAlertRules).await;
    let templates = server::db::entities::alert_template::Entity::find()
        .count(&d.app.db)
        .await
        .expect("count");
    assert!(templates >= 20, "{templates} system templates");
    assert_eq!(first.checked, templates);
    assert_eq!((first.changed, first.errors), (templates, 0), "{first:?}");
    assert_eq!(system().await, first.changed);
    // Healthy ones are left alone, and nothing is created twice.
    let second = run_job(&d.app, JobKind::SystemAlertRules).await;
    assert_eq!(second.changed, 0, "{second:?}");
    assert_eq!(system().await, first.changed);
    // A deleted one comes back, once.
    let victim = alert_rule::Entity::find()
        .filter(alert_rule::Column::Namespace.eq("kubegems-monitoring"))
        .one(&d.app.db)
        .await
        .expect("query")
        .expect("a system rule")
        .name;
    let delete = app::api::alert_rules::DeleteAlertRule {
        scope: RuleScope::System(d.cluster),
        name: victim.clone(),
    };
    d.app.fun_ok(delete, Auth::Cookie(&d.admin)).await;
    assert_eq!(system().await, first.changed - 1);
    let third = run_job(&d.app, JobKind::SystemAlertRules).await;
    assert_eq!(third.changed, 1, "{third:?}");
    assert_eq!(system().await, first.changed);
    let pr = format!(
        "/apis/monitoring.coreos.com/v1/namespaces/kubegems-monitoring/prometheusrules/{victim}"
    );
    assert!(common::fake_kube::get(&d.base, &pr).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_loki_rules_group_is_drift_a_stray_group_an_orphan_and_repair_fixes_both() {
    let Some(d) = drift().await else { return };
    let rule = ("err-log", "error", "10");
    logging_rule(&d.app, &d.admin, d.env, d.channel, rule).await;
    d.check().await;
    assert_ne!(rule_row(&d.app, "err-log").await.check_status, "error");
    let cm = d.get(LOKI_RULES).await;
    let text = cm["data"]["shop"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("> 10)"), "{text}");
    let mut file: Value =
        serde_norway::from_str(&text.replace("> 10)", "> 99)")).expect("the rules file");
    if let Some(groups) = file["groups"].as_array_mut() {
        groups.push(
            json!({"name": "ghost-logs", "rules": [{"alert": "ghost-logs", "expr": "vector(1)"}]}),
        );
    }
    let edited = serde_norway::to_string(&file).expect("YAML");
    patch(&d.base, LOKI_RULES, json!({"data": {"shop": edited}})).await;
    d.check().await;
    let r = rule_row(&d.app, "err-log").await;
    assert_eq!(r.check_status, "error");
    let detail: Value =
        serde_json::from_str(&r.check_detail.unwrap_or_default()).expect("a check detail");
    assert_eq!(
        detail["problems"][0],
        "Loki rules shop/err-log differs from the database"
    );
    assert!(
        detail["diff"]
            .as_str()
            .unwrap_or_default()
            .contains("> 99)")
    );
    let orphan = rule_orphan::Entity::find()
        .one(&d.app.db)
        .await
        .expect("query")
        .expect("the stray group");
    assert_eq!(
        (
            orphan.kind.as_str(),
            orphan.namespace.as_str(),
            orphan.name.as_str()
        ),
        ("LokiRules", "shop", "ghost-logs")
    );
    repair_all(&d.app, &d.admin, d.cluster).await;
    let cm = d.get(LOKI_RULES).await;
    let now = cm["data"]["shop"].as_str().unwrap_or_default();
    assert!(now.contains("> 10)") && !now.contains("> 99)"), "{now}");
    assert!(!now.contains("ghost-logs"), "{now}");
    assert_ne!(rule_row(&d.app, "err-log").await.check_status, "error");
}
