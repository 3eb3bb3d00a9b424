//! Load script (run with `cargo bench -p server --bench history_ingest`): Alertmanager webhooks
//! of 1 to 100 alerts (labels and annotations as Gemscope's rules produce them) posted to the
//! history receiver by 4 concurrent senders, on SQLite and, when `GEMSCOPE_TEST_POSTGRES_URL` is
//! set, PostgreSQL. Prints alerts per second and checks that every alert was stored and fanned
//! out to each recipient's inbox. `GEMSCOPE_BENCH_ALERTS` sets the total (default 20,000).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::db::entities::{alert_notification, inbox_item};

const SENDERS: usize = 4;

fn payload(batch: usize, size: usize) -> Value {
    let alerts: Vec<Value> = (0..size)
        .map(|i| {
            // 2,000 distinct alerts, so most notifications repeat a known one.
            let n = (batch * 37 + i) % 2000;
            let status = if (batch + i).is_multiple_of(5) { "resolved" } else { "firing" };
            json!({
                "status": status,
                "labels": {"alertname": "pod-cpu-high-error", "gems_alertname": "pod-cpu-high",
                    "gems_namespace": "shop", "namespace": "shop", "severity": "error",
                    "pod": format!("web-{n}"), "container": "app", "prometheus": "monitoring/k8s"},
                "annotations": {"message": format!("pod-cpu-high: [cluster:c1] [pod:web-{n}] CPU above 80%"),
                    "value": "93.2"},
                "startsAt": "2026-11-26T08:00:00Z",
                "endsAt": if status == "resolved" { "2026-11-26T08:10:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus/graph",
                "fingerprint": format!("{:016x}", 0xfeed_0000_u64 + n as u64),
            })
        })
        .collect();
    json!({"version": "4", "status": "firing", "receiver": "gemscope-history",
        "groupKey": "{}/{gems_namespace=\"shop\"}:{gems_alertname=\"pod-cpu-high\"}",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": alerts})
}

async fn run(backend: Backend, total: usize) {
    let app = TestApp::start(backend).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = app
        .standalone_cluster(&admin, "c1", "http://127.0.0.1:9")
        .await;
    for u in ["ann", "ben", "cat"] {
        app.create_user(&admin, u, "bench-password-1").await;
    }
    let env = app
        .environment(&admin, "shop-team", ("ann", "viewer"), cluster, "shop")
        .await;
    for u in ["ben", "cat"] {
        let set = app::api::tenancy::SetMember {
            tenant_id: env.tenant,
            username: u.into(),
            role: app::model::Role::Member,
        };
        app.fun_ok(set, Auth::Cookie(&admin)).await;
    }
    let recipients = 3u64;
    let receiver = server::channels::history::receiver(
        &app.state.notifier.secrets,
        "",
        common::system_history(cluster),
    );
    let url = receiver.webhook_configs[0].url.clone();
    // Sizes cycle 1..=100 (mean 50.5).
    let mut batches = Vec::new();
    let mut sent = 0;
    while sent < total {
        let size = (batches.len() % 100 + 1).min(total - sent);
        batches.push(payload(batches.len(), size));
        sent += size;
    }
    let app = std::sync::Arc::new(app);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..SENDERS {
        let mine: Vec<Value> = batches.iter().skip(s).step_by(SENDERS).cloned().collect();
        let (app, url) = (app.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for p in mine {
                let r = app.call(&url, p, Auth::None).await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let stored = alert_notification::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    let inbox = inbox_item::Entity::find().count(&app.db).await.unwrap();
    println!(
        "[{backend}] {total} alerts in {} webhooks: {secs:.2} s, {:.0} alerts/s; stored {stored} (lost {}), inbox rows {inbox} (expected {})",
        batches.len(),
        total as f64 / secs,
        total as u64 - stored,
        total as u64 * recipients
    );
    assert_eq!(stored, total as u64, "[{backend}] alerts lost");
    assert_eq!(inbox, total as u64 * recipients, "[{backend}] inbox rows");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let total = std::env::var("GEMSCOPE_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    run(Backend::Sqlite, total).await;
    if std::env::var("GEMSCOPE_TEST_POSTGRES_URL").is_ok() {
        run(Backend::Postgres, total).await;
    }
}
