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

use app::api::alert_rules::CreateAlertRule;
use app::api::jobs::{ListDrift, RepairDrift};
use app::model::{
    AlertLevel, AlertRuleInput, AlertType, ClusterSettings, FilterOp, JobKind, LabelMatcher,
    LogqlGenerator, RepairTarget, RuleReceiver, RuleScope, RunCounts,
};
use common::fake_kube::TOKEN;
use common::real::RealStack;
use common::remote_write::{push, series};
use common::rules::{
    monitor_rule, repair_all, repair_rule, rule_row, run_job, wait_for, webhook_channel,
};
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use server::db::entities::{alert_rule, job_run, rule_orphan};

/// A standalone cluster on the real stack whose receivers call Gemscope at `base`; `more` sets
/// the rest of its settings. Returns its id.
async fn standalone(
    app: &TestApp,
    admin: &str,
    stack: &RealStack,
    base: &str,
    more: impl FnOnce(&mut ClusterSettings),
) -> i64 {
    let d = stack.dir.path();
    let mut settings = ClusterSettings {
        prometheus_url: stack.prometheus_url.clone(),
        alertmanager_url: stack.alertmanager_url.clone(),
        rules_dir: d.join("rules").display().to_string(),
        alertmanager_config_path: d.join("alertmanager.yml").display().to_string(),
        gemscope_url: base.into(),
        ..Default::default()
    };
    more(&mut settings);
    let cluster = common::standalone("local", settings);
    app.create_cluster(admin, cluster).await["id"]
        .as_i64()
        .expect("cluster id")
}

/// A logging rule of one level in the environment: (name, line match, threshold).
async fn logging_rule(app: &TestApp, admin: &str, env: i64, channel: i64, r: (&str, &str, &str)) {
    let rule = AlertRuleInput {
        name: r.0.into(),
        alert_type: AlertType::Logging,
        logql_generator: Some(LogqlGenerator {
            duration: "5m".into(),
            match_: r.1.into(),
            label_matchers: vec![LabelMatcher {
                op: FilterOp::Re,
                name: "pod".into(),
                value: "app-.*".into(),
            }],
        }),
        for_: "1m".into(),
        alert_levels: vec![AlertLevel {
            compare_op: ">".into(),
            compare_value: r.2.into(),
            ..Default::default()
        }],
        receivers: vec![RuleReceiver {
            channel_id: channel,
            interval: "1h".into(),
        }],
        is_open: true,
        ..Default::default()
    };
    let create = CreateAlertRule {
        scope: RuleScope::Environment(env),
        rule,
    };
    app.fun_ok(create, Auth::Cookie(admin)).await;
}
