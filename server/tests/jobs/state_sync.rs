//! The state sync against the real Prometheus, and a standalone cluster's drift.

use super::*;

/// A standalone cluster on the real stack (rule files, alertmanager.yml and Loki rule files in
/// its directory), an environment `jobs` of the admin's with a channel, a series 5 deep, and
/// three rules on it: `fires` (> 1 at once), `waits` (> 1 for an hour), `quiet` (> 100).
struct Files {
    app: TestApp,
    admin: String,
    cluster: i64,
    env: i64,
    channel: i64,
    dir: std::path::PathBuf,
    stack: RealStack,
}

async fn files() -> Option<Files> {
    let stack = RealStack::start()?;
    let app = TestApp::start(Backend::Sqlite).await;
    server::templates::seed(&app.db).await.expect("seed");
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    let dir = stack.dir.path().to_path_buf();
    let loki_rules = dir.join("loki").display().to_string();
    let cluster = standalone(&app, &admin, &stack, &base, |s| {
        s.loki_rules_dir = loki_rules
    })
    .await;
    let env = app
        .environment(&admin, "jobs-team", ("admin", "admin"), cluster, "jobs")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let now = chrono::Utc::now().timestamp();
    let probe = series("jobs_probe", &[("namespace", "jobs")], &[(now, 5.0)]);
    push(&stack.prometheus_url, vec![probe]).await;
    for (name, expr, for_) in [
        ("fires", "jobs_probe{namespace=\"jobs\"} > 1", "0s"),
        ("waits", "jobs_probe{namespace=\"jobs\"} > 1", "1h"),
        ("quiet", "jobs_probe{namespace=\"jobs\"} > 100", "0s"),
    ] {
        monitor_rule(&app, &admin, env.environment, channel, (name, expr, for_)).await;
    }
    Some(Files {
        app,
        admin,
        cluster,
        env: env.environment,
        channel,
        dir,
        stack,
    })
}

const RULES: [&str; 3] = ["fires", "waits", "quiet"];

impl Files {
    async fn check(&self) -> RunCounts {
        run_job(&self.app, JobKind::AlertConfigCheck).await
    }

    async fn sync(&self) -> RunCounts {
        run_job(&self.app, JobKind::AlertStateSync).await
    }

    fn loki_file(&self, namespace: &str) -> std::path::PathBuf {
        self.dir.join("loki").join(format!("alert_{namespace}.yml"))
    }

    /// The logging rule `err-log`, checked in step; returns its rule file's text.
    async fn logging(&self) -> String {
        let rule = ("err-log", "error", "10");
        logging_rule(&self.app, &self.admin, self.env, self.channel, rule).await;
        let counts = self.check().await;
        assert_eq!((counts.checked, counts.drifted), (4, 0), "{counts:?}");
        let text = std::fs::read_to_string(self.loki_file("jobs")).expect("the Loki rule file");
        assert!(text.contains("> 10)"), "{text}");
        text
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_sync_stores_firing_pending_and_inactive_from_prometheus() {
    let Some(f) = files().await else { return };
    wait_for("states from Prometheus", 60, async || {
        let counts = f.sync().await;
        assert_eq!(counts.errors, 0, "{counts:?}");
        rule_row(&f.app, "fires").await.state == "firing"
            && rule_row(&f.app, "waits").await.state == "pending"
    })
    .await;
    let quiet = rule_row(&f.app, "quiet").await;
    assert_eq!(quiet.state, "inactive");
    assert_eq!(quiet.state_error, None);
    assert!(
        rule_row(&f.app, "fires").await.state_at > 0,
        "when it changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_files_changed_by_hand_are_drift_and_orphans_until_repaired() {
    let Some(f) = files().await else { return };
    let counts = f.check().await;
    assert_eq!((counts.checked, counts.drifted), (3, 0), "{counts:?}");
    // alertmanager.yml emptied by hand, and a rule file nobody owns.
    let am_path = f.dir.join("alertmanager.yml");
    let am = std::fs::read_to_string(&am_path).expect("alertmanager.yml");
    let emptied = "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'\n";
    std::fs::write(&am_path, emptied).expect("write");
    let stray = f.dir.join("rules").join("alert_jobs_ghost.yml");
    std::fs::write(&stray, "groups: []\n").expect("write");
    let counts = f.check().await;
    assert_eq!((counts.checked, counts.drifted), (3, 4), "{counts:?}");
    let detail = rule_row(&f.app, "fires")
        .await
        .check_detail
        .unwrap_or_default();
    assert!(
        detail.contains("alertmanager.yml routing of jobs/fires is missing in the cluster"),
        "{detail}"
    );
    let out = repair_all(&f.app, &f.admin, f.cluster).await;
    assert_eq!(out["repaired"].as_array().map(Vec::len), Some(4), "{out}");
    assert_eq!(std::fs::read_to_string(&am_path).ok(), Some(am));
    assert!(!stray.exists());
    for name in RULES {
        assert_ne!(rule_row(&f.app, name).await.check_status, "error", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_prometheus_every_rule_is_unknown_with_the_reason_never_inactive() {
    let Some(mut f) = files().await else { return };
    f.stack.stop_prometheus();
    let counts = f.sync().await;
    assert_eq!(counts.errors, 1, "{counts:?}");
    assert_eq!(counts.changed, 3);
    for name in RULES {
        let r = rule_row(&f.app, name).await;
        assert_eq!(r.state, "unknown", "{name}");
        let why = r.state_error.unwrap_or_default();
        assert!(why.starts_with("local: prometheus:"), "{why}");
    }
    // Nothing changed: nothing written.
    assert_eq!(f.sync().await.changed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_loki_group_is_drift_and_stray_groups_in_any_namespace_are_orphans() {
    let Some(f) = files().await else { return };
    let original = f.logging().await;
    let loki_path = f.loki_file("jobs");
    let mut file: Value =
        serde_norway::from_str(&original.replace("> 10)", "> 99)")).expect("the rule file");
    if let Some(groups) = file["groups"].as_array_mut() {
        groups.push(
            json!({"name": "ghost-logs", "rules": [{"alert": "ghost-logs", "expr": "vector(1)"}]}),
        );
    }
    std::fs::write(&loki_path, serde_norway::to_string(&file).expect("YAML")).expect("write");
    let other = f.loki_file("other");
    let stray = "groups:\n- name: stray-logs\n  rules:\n  - alert: stray\n    expr: vector(1)\n";
    std::fs::write(&other, stray).expect("write");
    let counts = f.check().await;
    assert_eq!((counts.checked, counts.drifted), (4, 3), "{counts:?}");
    let r = rule_row(&f.app, "err-log").await;
    assert_eq!(r.check_status, "error");
    let detail: Value =
        serde_json::from_str(&r.check_detail.unwrap_or_default()).expect("a check detail");
    assert_eq!(
        detail["problems"][0],
        format!(
            "Loki rules {} differs from the database",
            loki_path.display()
        )
    );
    assert!(
        detail["diff"]
            .as_str()
            .unwrap_or_default()
            .contains("> 99)")
    );
    let mut orphans: Vec<(String, String, String)> = rule_orphan::Entity::find()
        .all(&f.app.db)
        .await
        .expect("orphans")
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
    let out = repair_all(&f.app, &f.admin, f.cluster).await;
    assert_eq!(out["repaired"].as_array().map(Vec::len), Some(3), "{out}");
    assert_eq!(std::fs::read_to_string(&loki_path).ok(), Some(original));
    assert!(!other.exists());
    assert_ne!(rule_row(&f.app, "err-log").await.check_status, "error");
    let left = rule_orphan::Entity::find()
        .count(&f.app.db)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_group_that_a_new_rule_owns_by_now_is_not_deleted() {
    let Some(f) = files().await else { return };
    let original = f.logging().await;
    let loki_path = f.loki_file("jobs");
    let late =
        format!("{original}- name: late-logs\n  rules:\n  - alert: late\n    expr: vector(1)\n");
    std::fs::write(&loki_path, late).expect("write");
    f.check().await;
    let late = rule_orphan::Entity::find()
        .one(&f.app.db)
        .await
        .expect("query")
        .expect("the late group");
    assert_eq!(late.name, "late-logs");
    let rule = ("late-logs", "late", "1");
    logging_rule(&f.app, &f.admin, f.env, f.channel, rule).await;
    let target = RepairTarget::Orphan(late.id);
    let r = f
        .app
        .fun(RepairDrift { target }, Auth::Cookie(&f.admin))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let kept = std::fs::read_to_string(&loki_path).unwrap_or_default();
    assert!(
        kept.contains("late-logs") && kept.contains("err-log"),
        "{kept}"
    );
}
