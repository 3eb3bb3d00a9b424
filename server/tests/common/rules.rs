//! Shared steps of the alert rule scenarios: a channel and a rule to work with, the jobs run on
//! demand, repair, and waiting for what happens elsewhere (Prometheus, Alertmanager, the fake).

use std::time::{Duration, Instant};

use app::api::jobs::RepairDrift;
use app::model::{
    AlertLevel, AlertRuleInput, AlertType, ChannelConfig, ChannelInput, FilterOp, JobKind,
    LabelMatcher, PromqlGenerator, RepairTarget, RuleReceiver, RuleScope, RunCounts, SecretField,
    Severity, TemplateKey,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::db::entities::alert_rule;

use super::{Auth, TestApp};

/// Polls `ok` every 300 ms until it holds, failing the test after `secs` seconds.
pub async fn wait_for(what: &str, secs: u64, mut ok: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ok().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The stored row of the rule called `name`.
pub async fn rule_row(app: &TestApp, name: &str) -> alert_rule::Model {
    alert_rule::Entity::find()
        .filter(alert_rule::Column::Name.eq(name))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("rule {name}"))
}

pub async fn rule_id(app: &TestApp, name: &str) -> i64 {
    rule_row(app, name).await.id
}

/// A channel called `name` that also sends resolved alerts.
pub fn channel(name: &str, config: ChannelConfig) -> ChannelInput {
    ChannelInput {
        name: name.into(),
        description: String::new(),
        send_resolved: true,
        config,
    }
}

/// A webhook channel `hook` to `url`.
pub fn webhook(url: &str) -> ChannelInput {
    let config = ChannelConfig::Webhook {
        url: SecretField::new(url),
        insecure_tls: false,
    };
    channel("hook", config)
}

/// A rule on the CPU template for pods `web-*` of its namespace: error above `threshold`,
/// critical 10 above, notifying `channel` hourly.
pub fn cpu_rule(name: &str, threshold: u32, channel: i64) -> AlertRuleInput {
    let level = |value: u32, severity| AlertLevel {
        compare_op: ">".into(),
        compare_value: value.to_string(),
        severity,
    };
    AlertRuleInput {
        name: name.into(),
        alert_type: AlertType::Monitor,
        promql_generator: Some(PromqlGenerator {
            key: TemplateKey::new("containers", "container", "cpuUsagePercent"),
            unit: "percent-0-100".into(),
            label_matchers: vec![LabelMatcher {
                op: FilterOp::Re,
                name: "pod".into(),
                value: "web-.*".into(),
            }],
        }),
        for_: "1m".into(),
        alert_levels: vec![
            level(threshold, Severity::Error),
            level(threshold + 10, Severity::Critical),
        ],
        inhibit_labels: vec!["pod".into()],
        receivers: vec![RuleReceiver {
            channel_id: channel,
            interval: "1h".into(),
        }],
        is_open: true,
        ..Default::default()
    }
}

/// A webhook channel of the tenant.
pub async fn webhook_channel(app: &TestApp, admin: &str, tenant: i64) -> i64 {
    let create = app::api::channels::CreateChannel {
        tenant_id: Some(tenant),
        channel: webhook("https://hooks.example.com/x"),
    };
    app.fun_ok(create, Auth::Cookie(admin)).await["id"]
        .as_i64()
        .expect("channel id")
}

/// A raw-PromQL rule of one level in the environment: (name, expr, for).
pub async fn monitor_rule(
    app: &TestApp,
    admin: &str,
    env: i64,
    channel: i64,
    r: (&str, &str, &str),
) {
    let rule = AlertRuleInput {
        name: r.0.into(),
        alert_type: AlertType::Monitor,
        expr: r.1.into(),
        for_: r.2.into(),
        alert_levels: vec![AlertLevel::default()],
        receivers: vec![RuleReceiver {
            channel_id: channel,
            interval: "1h".into(),
        }],
        is_open: true,
        ..Default::default()
    };
    let create = app::api::alert_rules::CreateAlertRule {
        scope: RuleScope::Environment(env),
        rule,
    };
    app.fun_ok(create, Auth::Cookie(admin)).await;
}

/// Repairs one rule (written again from the database); returns what it repaired.
pub async fn repair_rule(app: &TestApp, admin: &str, name: &str) -> Value {
    let target = RepairTarget::Rule(rule_id(app, name).await);
    app.fun_ok(RepairDrift { target }, Auth::Cookie(admin))
        .await
}

/// "Repair all" on a cluster, which must not fail on anything; returns what it repaired.
pub async fn repair_all(app: &TestApp, admin: &str, cluster: i64) -> Value {
    let target = RepairTarget::Cluster(cluster);
    let out = app
        .fun_ok(RepairDrift { target }, Auth::Cookie(admin))
        .await;
    assert_eq!(out["failed"], json!([]), "{out}");
    out
}

/// Runs a scheduled job now, in this process.
pub async fn run_job(app: &TestApp, job: JobKind) -> RunCounts {
    app.state
        .jobs
        .execute(job)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", job.as_str()))
}
