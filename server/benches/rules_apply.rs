//! Load script (run with `cargo bench -p server --bench rules_apply`): 10,000 alert rules
//! rendered and applied across 50 fake Kubernetes API servers (200 per cluster, each rule with a
//! template, two levels and a channel), then a second pass (a re-sync of every rule, which must
//! write nothing), then a change to one channel that 200 rules use, re-rendered into their
//! AlertmanagerConfigs. Then the scheduled jobs over all of them: the state sync (one rules API
//! read per cluster) and the config check (three list calls per cluster, a render, a compare and a
//! sanity query per rule). Prints the times and the write counts.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use app::api::alert_rules::{CreateAlertRule, SyncAlertRules};
use app::api::channels::{CreateChannel, UpdateChannel};
use app::model::{
    AlertRuleInput, ChannelConfig, ChannelInput, ClusterInput, ClusterKind, JobKind, RuleScope,
    RunCounts,
};
use common::rules::{cpu_rule, webhook};

use common::fake_kube::{TOKEN, create, kubeconfig, serve_monitored};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use serde_json::json;

/// `GEMSCOPE_BENCH_CLUSTERS` and `GEMSCOPE_BENCH_RULES` scale it down for a quick run.
fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rule(name: &str, channel: i64) -> AlertRuleInput {
    cpu_rule(name, 80, channel)
}

/// Runs a job's body once, as a tick would.
async fn timed(app: &TestApp, job: JobKind) -> (RunCounts, std::time::Duration) {
    let started = Instant::now();
    let counts = app.state.jobs.execute(job).await.unwrap();
    (counts, started.elapsed())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let clusters = size("GEMSCOPE_BENCH_CLUSTERS", 50);
    let rules_per_cluster = size("GEMSCOPE_BENCH_RULES", 200);
    let Some(stack) = RealStack::start() else {
        eprintln!("prometheus/alertmanager are not installed: nothing to measure");
        return;
    };
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.public_url = Some("https://gemscope.example".into())
    })
    .await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let mut fakes = Vec::new();
    let mut places = Vec::new();
    for c in 0..clusters {
        let (addr, fake, task, base) = serve_monitored(&stack).await;
        create(
            &base,
            "/api/v1/namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        )
        .await;
        let cluster = ClusterInput {
            name: format!("c{c}"),
            kind: ClusterKind::Kubernetes,
            kubeconfig: Some(kubeconfig(addr, TOKEN)),
            ..Default::default()
        };
        let cluster = app.create_cluster(&admin, cluster).await["id"]
            .as_i64()
            .expect("cluster id");
        let env = app
            .environment(
                &admin,
                &format!("team-{c}"),
                ("admin", "admin"),
                cluster,
                "shop",
            )
            .await;
        let create = CreateChannel {
            tenant_id: Some(env.tenant),
            channel: webhook("https://hooks.example.com/x"),
        };
        let channel = app.fun_ok(create, Auth::Cookie(&admin)).await["id"]
            .as_i64()
            .expect("channel id");
        fakes.push((fake, task));
        places.push((env.environment, channel));
    }
    let writes = |fakes: &Vec<(testkit::kube::Shared, _)>| -> u64 {
        fakes.iter().map(|(f, _)| f.write_count()).sum()
    };

    // First pass: every rule created (rendered, two objects applied, one transaction each).
    let before = writes(&fakes);
    let started = Instant::now();
    for (env, channel) in &places {
        for i in 0..rules_per_cluster {
            let create = CreateAlertRule {
                scope: RuleScope::Environment(*env),
                rule: rule(&format!("rule-{i}"), *channel),
            };
            let r = app.fun(create, Auth::Cookie(&admin)).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    let first = started.elapsed();
    let first_writes = writes(&fakes) - before;

    // Second pass: a re-sync of every rule; nothing changed, so nothing may be written.
    let before = writes(&fakes);
    let started = Instant::now();
    for (env, _) in &places {
        let sync = SyncAlertRules {
            scope: RuleScope::Environment(*env),
        };
        let items = app.fun_ok(sync, Auth::Cookie(&admin)).await;
        assert!(items.as_array().unwrap().iter().all(|i| i["error"] == ""));
    }
    let second = started.elapsed();
    let second_writes = writes(&fakes) - before;

    // A channel edit reaching the 200 rules of one cluster that use it.
    let (_, channel) = places[0];
    let before = writes(&fakes);
    let started = Instant::now();
    // The URL is kept (no value sent); only whether resolved alerts are sent changes.
    let update = UpdateChannel {
        channel_id: channel,
        channel: ChannelInput {
            send_resolved: false,
            config: ChannelConfig::Webhook {
                url: Default::default(),
                insecure_tls: false,
            },
            ..webhook("")
        },
    };
    app.fun_ok(update, Auth::Cookie(&admin)).await;
    let edit = started.elapsed();
    let edit_writes = writes(&fakes) - before;
    let total = clusters * rules_per_cluster;
    println!("rules: {total} across {clusters} clusters");
    println!(
        "first pass: {:.1} s ({:.2} ms per rule), {first_writes} writes",
        first.as_secs_f64(),
        first.as_secs_f64() * 1000.0 / total as f64
    );
    println!(
        "second pass (re-sync of every rule): {:.1} s, {second_writes} writes (goal 0)",
        second.as_secs_f64()
    );
    println!(
        "channel edit reaching {rules_per_cluster} rules: {:.2} s (goal ≤ 5 s), {edit_writes} writes",
        edit.as_secs_f64()
    );

    // The scheduled jobs over every rule, as a tick would run them.
    let (sync, sync_time) = timed(&app, JobKind::AlertStateSync).await;
    let before = writes(&fakes);
    let (check, check_time) = timed(&app, JobKind::AlertConfigCheck).await;
    let check_writes = writes(&fakes) - before;
    println!(
        "state sync job: {:.2} s, {} rules checked, {} errors",
        sync_time.as_secs_f64(),
        sync.checked,
        sync.errors
    );
    println!(
        "config check job: {:.1} s ({:.2} ms per rule), {} checked, {} drifted, {} errors, {check_writes} writes (goal 0)",
        check_time.as_secs_f64(),
        check_time.as_secs_f64() * 1000.0 / total as f64,
        check.checked,
        check.drifted,
        check.errors
    );
    assert_eq!(second_writes, 0, "a second pass must write nothing");
    assert_eq!(check.checked, total as u64, "the check looks at every rule");
    assert_eq!(check.drifted, 0, "nothing drifted: {:?}", check.notes);
    assert_eq!(check_writes, 0, "a check never writes to a cluster");
    assert_eq!(
        edit_writes, rules_per_cluster as u64,
        "one AlertmanagerConfig per rule"
    );
}
