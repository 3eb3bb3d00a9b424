//! Shared steps of the alert rule scenarios: a channel and a rule to work with, the jobs run on
//! demand, repair, and waiting for what happens elsewhere (Prometheus, Alertmanager, the fake).

use std::time::{Duration, Instant};

use app::model::{JobKind, RunCounts};
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

/// A webhook channel of the tenant.
pub async fn webhook_channel(app: &TestApp, admin: &str, tenant: i64) -> i64 {
    app.ok(
        "/api/channels/create",
        json!({"tenant_id": tenant, "channel": {"name": "hook", "config": {"type": "webhook", "url": {"value": "https://hooks.example.com/x"}}}}),
        Auth::Cookie(admin),
    )
    .await["id"]
    .as_i64()
    .unwrap()
}

/// A raw-PromQL rule of one level in the environment: (name, expr, for).
pub async fn monitor_rule(
    app: &TestApp,
    admin: &str,
    env: i64,
    channel: i64,
    r: (&str, &str, &str),
) {
    app.ok(
        "/api/alert-rules/create",
        json!({"scope": {"kind": "environment", "id": env}, "rule": {
            "name": r.0, "alertType": "monitor", "expr": r.1, "for": r.2,
            "alertLevels": [{"severity": "error"}],
            "receivers": [{"alertChannelID": channel, "interval": "1h"}]}}),
        Auth::Cookie(admin),
    )
    .await;
}

/// Repairs one rule (written again from the database); returns what it repaired.
pub async fn repair_rule(app: &TestApp, admin: &str, name: &str) -> Value {
    app.ok(
        "/api/drift/repair",
        json!({"target": {"kind": "rule", "id": rule_id(app, name).await}}),
        Auth::Cookie(admin),
    )
    .await
}

/// "Repair all" on a cluster, which must not fail on anything; returns what it repaired.
pub async fn repair_all(app: &TestApp, admin: &str, cluster: i64) -> Value {
    let out = app
        .ok(
            "/api/drift/repair",
            json!({"target": {"kind": "cluster", "id": cluster}}),
            Auth::Cookie(admin),
        )
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
