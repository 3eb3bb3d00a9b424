//! Scheduled jobs: state sync against the real Prometheus, the config check and its repairs
//! against the fake API server, the system rules, and the queue itself across real processes on
//! PostgreSQL (every tick once, a killed replica's run completed by the other, a stop mid-run
//! neither lost nor doubled).

#[path = "../common/mod.rs"]
mod common;

mod drift;
mod loki;
mod procs;
mod queue;
mod schedule;
mod state_sync;

use procs::*;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::model::{JobKind, RunCounts};
use common::fake_kube::{TOKEN, serve_monitored};
use common::real::RealStack;
use common::remote_write::{push, series};
use common::rules::{
    monitor_rule, repair_all, repair_rule, rule_row, run_job, wait_for, webhook_channel,
};
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use server::db::entities::{alert_rule, job_run, rule_orphan};

/// A standalone cluster on the real stack whose receivers call Gemscope at `base`; `more` adds
/// settings. Returns its id.
async fn standalone(app: &TestApp, admin: &str, stack: &RealStack, base: &str, more: Value) -> i64 {
    let d = stack.dir.path();
    let mut settings = json!({
        "prometheus_url": stack.prometheus_url,
        "alertmanager_url": stack.alertmanager_url,
        "rules_dir": d.join("rules").display().to_string(),
        "alertmanager_config_path": d.join("alertmanager.yml").display().to_string(),
        "gemscope_url": base,
    });
    for (k, v) in more.as_object().into_iter().flatten() {
        settings[k] = v.clone();
    }
    app.ok(
        "/api/clusters/create",
        json!({"cluster": {"name": "local", "kind": "standalone", "settings": settings}}),
        Auth::Cookie(admin),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// A logging rule of one level in the environment: (name, line match, threshold).
async fn logging_rule(app: &TestApp, admin: &str, env: i64, channel: i64, r: (&str, &str, &str)) {
    app.ok(
        "/api/alert-rules/create",
        json!({"scope": {"kind": "environment", "id": env}, "rule": {
            "name": r.0, "alertType": "logging",
            "logqlGenerator": {"duration": "5m", "match": r.1,
                "labelMatchers": [{"type": "=~", "name": "pod", "value": "app-.*"}]},
            "for": "1m",
            "alertLevels": [{"compareOp": ">", "compareValue": r.2, "severity": "error"}],
            "receivers": [{"alertChannelID": channel, "interval": "1h"}]}}),
        Auth::Cookie(admin),
    )
    .await;
}
