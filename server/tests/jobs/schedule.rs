//! Ticks and replicas: a missed daily tick runs once at start; every tick runs once across
//! replicas; a killed replica's run is taken over; a stop lets a run finish or hands it back.

use super::*;

/// A daily job whose last tick fell while no replica ran is run once at start, a restart does
/// not run it again, and a frequent schedule just waits for its next tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_daily_tick_runs_once_at_start() {
    use std::str::FromStr;
    let app = TestApp::start(Backend::Sqlite).await;
    // A new installation runs its daily jobs at the first start; with no cluster yet, the system
    // rules have nothing to do, and the missing system-wide channel is no failure.
    let counts = run_job(&app, JobKind::SystemAlertRules).await;
    assert_eq!((counts.checked, counts.errors), (0, 0), "{counts:?}");
    let dir = tempfile::tempdir().unwrap();
    let daily = "0 0 4 * * *";
    let settings = [
        ("GEMSCOPE_JOB_HISTORY_ARCHIVE", daily),
        ("GEMSCOPE_JOB_STATE_SYNC", "0 */30 * * * *"),
    ];
    let last = cron::Schedule::from_str(daily)
        .unwrap()
        .after(&chrono::Utc::now())
        .next_back()
        .unwrap()
        .timestamp();
    let archive_runs = async || {
        runs(&app)
            .await
            .into_iter()
            .filter(|r| r.job == JobKind::AlertHistoryArchive.as_str())
            .collect::<Vec<_>>()
    };
    let mut a = replica(&app.url, dir.path(), "catch-a", &settings);
    wait_for("the missed tick to run", 60, async || {
        archive_runs().await.iter().any(|r| r.status == "ok")
    })
    .await;
    terminate(&a);
    reap(&mut a, 40);
    let mut b = replica(&app.url, dir.path(), "catch-b", &settings);
    let log = dir.path().join("catch-b.log");
    wait_for("the restarted replica", 60, async || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("Gemscope is serving")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    terminate(&b);
    reap(&mut b, 40);
    let ran = archive_runs().await;
    assert_eq!(ran.len(), 1, "{ran:?}");
    assert_eq!(ran[0].tick_key, last.to_string());
    assert_eq!((ran[0].origin.as_str(), ran[0].attempts), ("schedule", 1));
    let all = runs(&app).await;
    assert_eq!(
        all.len(),
        1,
        "a half-hourly schedule is not caught up: {all:?}"
    );
    app.cleanup().await;
}

/// A Prometheus stand-in whose rules API takes `delay` to answer: a job that asks it runs that long.
async fn slow_prometheus(delay: Duration) -> String {
    let router = axum::Router::new().route(
        "/api/v1/rules",
        axum::routing::get(move || async move {
            tokio::time::sleep(delay).await;
            axum::Json(json!({"status": "success", "data": {"groups": []}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// One rule row on a cluster, written directly (the cluster is a stand-in with no rule files).
async fn bare_rule(app: &TestApp, cluster: i64, name: &str) {
    alert_rule::ActiveModel {
        cluster_id: Set(cluster),
        namespace: Set("kubegems-monitoring".into()),
        name: Set(name.into()),
        alert_type: Set("monitor".into()),
        expr: Set("up == 0".into()),
        for_duration: Set("0s".into()),
        message: Set(String::new()),
        inhibit_labels: Set("[]".into()),
        alert_levels: Set("[]".into()),
        is_open: Set(true),
        state: Set("inactive".into()),
        sync_status: Set("ok".into()),
        sync_error: Set(String::new()),
        created_at: Set(0),
        updated_at: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A PostgreSQL database the replicas share (they are separate processes); `None` when there is
/// none here and it is not required.
async fn shared_database() -> Option<TestApp> {
    if std::env::var("GEMSCOPE_TEST_POSTGRES_URL").is_err() {
        let required = std::env::var("GEMSCOPE_TEST_REQUIRE_ALL_DBS").is_ok_and(|v| v == "1");
        assert!(!required, "GEMSCOPE_TEST_POSTGRES_URL is required");
        eprintln!("GEMSCOPE_TEST_POSTGRES_URL not set: skipping");
        return None;
    }
    Some(TestApp::start(Backend::Postgres).await)
}

/// A cluster whose Prometheus takes 5 s to answer, with one rule: a state sync on it runs 5 s.
async fn slow_cluster(app: &TestApp) {
    let slow = slow_prometheus(Duration::from_secs(5)).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = app.standalone_cluster(&admin, "slow", &slow).await;
    bare_rule(app, cluster, "slow-rule").await;
}

/// Queues a state sync now and waits until a replica runs it; returns the row and its owner.
async fn running_sync(app: &TestApp) -> (i64, String) {
    let queued = server::jobs::queue::enqueue_manual(&app.db, JobKind::AlertStateSync, 1)
        .await
        .expect("queued");
    let mut owner = String::new();
    wait_for("the run to start", 20, async || {
        let r = row(app, queued.id).await;
        owner = r.lease_owner.clone();
        r.status == "running"
    })
    .await;
    (queued.id, owner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_runs_exactly_once_across_two_replicas() {
    let Some(app) = shared_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    // Two replicas ticking every second for 60 s: every tick exactly one row, run once.
    let every_second = [("GEMSCOPE_JOB_STATE_SYNC", "* * * * * *")];
    let mut a = replica(&app.url, dir.path(), "replica-a", &every_second);
    let mut b = replica(&app.url, dir.path(), "replica-b", &every_second);
    tokio::time::sleep(Duration::from_secs(62)).await;
    terminate(&a);
    terminate(&b);
    reap(&mut a, 40);
    reap(&mut b, 40);
    let all = runs(&app).await;
    let mut ticks: Vec<i64> = all.iter().filter_map(|r| r.tick_key.parse().ok()).collect();
    ticks.sort();
    let n = ticks.len() as i64;
    assert!(n >= 55, "{n} ticks in 62 s");
    ticks.dedup();
    assert_eq!(ticks.len() as i64, n, "a tick has two rows");
    assert_eq!(
        ticks[ticks.len() - 1] - ticks[0] + 1,
        n,
        "a tick is missing"
    );
    for r in &all {
        assert_eq!((r.status.as_str(), r.attempts), ("ok", 1), "{r:?}");
    }
    for name in ["replica-a", "replica-b"] {
        let log =
            std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap_or_default();
        assert!(log.contains("job finished"), "{name} ran no tick:\n{log}");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_a_killed_replica_is_taken_over_when_its_lease_passes() {
    let Some(app) = shared_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    slow_cluster(&app).await;
    let mut a = replica(&app.url, dir.path(), "replica-c", &[]);
    let mut b = replica(&app.url, dir.path(), "replica-d", &[]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (id, owner) = running_sync(&app).await;
    let (victim, survivor) = if owner.starts_with("replica-c") {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    victim.kill().expect("kill");
    victim.wait().expect("wait");
    wait_for("the survivor to finish the run", 30, async || {
        row(&app, id).await.status == "ok"
    })
    .await;
    let r = row(&app, id).await;
    assert_eq!(r.attempts, 2, "{r:?}");
    let counts: RunCounts =
        serde_json::from_str(r.counts.as_deref().unwrap_or_default()).expect("counts");
    assert_eq!(counts.checked, 1);
    assert_eq!(runs(&app).await.len(), 1);
    terminate(survivor);
    reap(survivor, 30);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_with_time_to_spare_lets_the_run_finish_first() {
    let Some(app) = shared_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    slow_cluster(&app).await;
    let mut a = replica(&app.url, dir.path(), "replica-g", &[]);
    let (id, _) = running_sync(&app).await;
    terminate(&a);
    let took = reap(&mut a, 30);
    let r = row(&app, id).await;
    assert_eq!(
        (r.status.as_str(), r.attempts),
        ("ok", 1),
        "{r:?} after {took:?}"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_with_too_short_a_grace_hands_the_run_back_for_the_next_start() {
    let Some(app) = shared_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    slow_cluster(&app).await;
    let short = [("GEMSCOPE_JOB_SHUTDOWN_SECS", "1")];
    let mut e = replica(&app.url, dir.path(), "replica-e", &short);
    let (id, _) = running_sync(&app).await;
    terminate(&e);
    reap(&mut e, 20);
    let r = row(&app, id).await;
    assert_eq!(
        (r.status.as_str(), r.lease_until),
        ("running", 0),
        "handed back: {r:?}"
    );
    let mut f = replica(&app.url, dir.path(), "replica-f", &[]);
    wait_for("the restarted replica to finish the run", 30, async || {
        row(&app, id).await.status == "ok"
    })
    .await;
    let r = row(&app, id).await;
    assert_eq!(r.attempts, 2, "{r:?}");
    assert_eq!(runs(&app).await.len(), 1, "nothing lost or doubled");
    terminate(&f);
    reap(&mut f, 30);
    app.cleanup().await;
}
