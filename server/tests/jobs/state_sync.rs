//! The state sync against the real Prometheus, and a standalone cluster's drift.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_sync_and_standalone_drift_on_the_real_prometheus() {
    let Some(mut stack) = RealStack::start() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await;
    server::templates::seed(&app.db).await.unwrap();
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    let d = stack.dir.path().to_path_buf();
    let d = d.as_path();
    let loki_rules = d.join("loki").display().to_string();
    let cluster = standalone(&app, &admin, &stack, &base, |s| {
        s.loki_rules_dir = loki_rules
    })
    .await;
    let env = app
        .environment(&admin, "jobs-team", ("admin", "admin"), cluster, "jobs")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let now = chrono::Utc::now().timestamp();
    push(
        &stack.prometheus_url,
        vec![series(
            "jobs_probe",
            &[("namespace", "jobs")],
            &[(now, 5.0)],
        )],
    )
    .await;
    for (name, expr, for_) in [
        ("fires", "jobs_probe{namespace=\"jobs\"} > 1", "0s"),
        ("waits", "jobs_probe{namespace=\"jobs\"} > 1", "1h"),
        ("quiet", "jobs_probe{namespace=\"jobs\"} > 100", "0s"),
    ] {
        monitor_rule(&app, &admin, env.environment, channel, (name, expr, for_)).await;
    }
    wait_for("states from Prometheus", 60, async || {
        let counts = run_job(&app, JobKind::AlertStateSync).await;
        assert_eq!(counts.errors, 0, "{counts:?}");
        rule_row(&app, "fires").await.state == "firing"
            && rule_row(&app, "waits").await.state == "pending"
    })
    .await;
    let quiet = rule_row(&app, "quiet").await;
    assert_eq!(quiet.state, "inactive");
    assert_eq!(quiet.state_error, None);
    assert!(
        rule_row(&app, "fires").await.state_at > 0,
        "when it changed"
    );

    // Standalone files: alertmanager.yml emptied by hand, and a rule file nobody owns.
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!((counts.checked, counts.drifted), (3, 0), "{counts:?}");
    let am_path = d.join("alertmanager.yml");
    let am = std::fs::read_to_string(&am_path).unwrap();
    std::fs::write(
        &am_path,
        "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'\n",
    )
    .unwrap();
    let stray = d.join("rules").join("alert_jobs_ghost.yml");
    std::fs::write(&stray, "groups: []\n").unwrap();
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!((counts.checked, counts.drifted), (3, 4), "{counts:?}");
    let detail = rule_row(&app, "fires").await.check_detail.unwrap();
    assert!(
        detail.contains("alertmanager.yml routing of jobs/fires is missing in the cluster"),
        "{detail}"
    );
    let out = repair_all(&app, &admin, cluster).await;
    assert_eq!(out["repaired"].as_array().unwrap().len(), 4, "{out}");
    assert_eq!(std::fs::read_to_string(&am_path).unwrap(), am);
    assert!(!stray.exists());
    for name in ["fires", "waits", "quiet"] {
        assert_ne!(rule_row(&app, name).await.check_status, "error", "{name}");
    }

    // Prometheus gone: every rule unknown with the reason, never inactive.
    stack.stop_prometheus();
    let counts = run_job(&app, JobKind::AlertStateSync).await;
    assert_eq!(counts.errors, 1, "{counts:?}");
    assert_eq!(counts.changed, 3);
    for name in ["fires", "waits", "quiet"] {
        let r = rule_row(&app, name).await;
        assert_eq!(r.state, "unknown", "{name}");
        let why = r.state_error.unwrap_or_default();
        assert!(why.starts_with("local: prometheus:"), "{why}");
    }
    // Nothing changed: nothing written.
    assert_eq!(run_job(&app, JobKind::AlertStateSync).await.changed, 0);

    // A logging rule's group lives in its namespace's Loki rule file: an edited group is drift;
    // a group no rule owns, in that file or in another namespace's, is an orphan.
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("err-log", "error", "10"),
    )
    .await;
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!((counts.checked, counts.drifted), (4, 0), "{counts:?}");
    let loki_path = d.join("loki").join("alert_jobs.yml");
    let original = std::fs::read_to_string(&loki_path).unwrap();
    assert!(original.contains("> 10)"), "{original}");
    let mut file: Value = serde_norway::from_str(&original.replace("> 10)", "> 99)")).unwrap();
    file["groups"].as_array_mut().unwrap().push(
        json!({"name": "ghost-logs", "rules": [{"alert": "ghost-logs", "expr": "vector(1)"}]}),
    );
    std::fs::write(&loki_path, serde_norway::to_string(&file).unwrap()).unwrap();
    let other = d.join("loki").join("alert_other.yml");
    std::fs::write(
        &other,
        "groups:\n- name: stray-logs\n  rules:\n  - alert: stray\n    expr: vector(1)\n",
    )
    .unwrap();
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!((counts.checked, counts.drifted), (4, 3), "{counts:?}");
    let r = rule_row(&app, "err-log").await;
    assert_eq!(r.check_status, "error");
    let detail: Value = serde_json::from_str(&r.check_detail.unwrap()).unwrap();
    assert_eq!(
        detail["problems"][0],
        format!(
            "Loki rules {} differs from the database",
            loki_path.display()
        )
    );
    assert!(detail["diff"].as_str().unwrap().contains("> 99)"));
    let mut orphans: Vec<(String, String, String)> = rule_orphan::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.kind, o.namespace, o.name))
        .collect();
    orphans.sort();
    assert_eq!(
        orphans,
        [
            ("LokiRules".into(), "jobs".into(), "ghost-logs".into()),
            ("LokiRules".into(), "other".into(), "stray-logs".into()),
        ]
    );
    let out = repair_all(&app, &admin, cluster).await;
    assert_eq!(out["repaired"].as_array().unwrap().len(), 3, "{out}");
    assert_eq!(std::fs::read_to_string(&loki_path).unwrap(), original);
    assert!(!other.exists());
    assert_ne!(rule_row(&app, "err-log").await.check_status, "error");
    assert_eq!(rule_orphan::Entity::find().count(&app.db).await.unwrap(), 0);

    // An orphan group that a new logging rule of that name owns by now is not deleted.
    std::fs::write(
        &loki_path,
        format!("{original}- name: late-logs\n  rules:\n  - alert: late\n    expr: vector(1)\n"),
    )
    .unwrap();
    run_job(&app, JobKind::AlertConfigCheck).await;
    let late = rule_orphan::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(late.name, "late-logs");
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("late-logs", "late", "1"),
    )
    .await;
    let target = RepairTarget::Orphan(late.id);
    let r = app.fun(RepairDrift { target }, Auth::Cookie(&admin)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let kept = std::fs::read_to_string(&loki_path).unwrap();
    assert!(
        kept.contains("late-logs") && kept.contains("err-log"),
        "{kept}"
    );
}
