//! Scheduled jobs: state sync against the real Prometheus, the config check and its repairs
//! against the fake API server, the system rules, and the queue itself across real processes on
//! PostgreSQL (every tick once, a killed replica's run completed by the other, a stop mid-run
//! neither lost nor doubled).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::model::{JobKind, RunCounts};
use common::fake_kube::{TOKEN, serve_monitored};
use common::real::RealStack;
use common::remote_write::{push, series};
use common::rules::{
    monitor_rule, repair_all, rule_id, rule_row, run_job, wait_for, webhook_channel,
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
    let cluster = standalone(
        &app,
        &admin,
        &stack,
        &base,
        json!({"loki_rules_dir": loki_rules}),
    )
    .await;
    let env = app
        .environment(&admin, "jobs-team", ("admin", "admin"), cluster, "jobs")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
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
    let r = app
        .call(
            "/api/drift/repair",
            json!({"target": {"kind": "orphan", "id": late.id}}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let kept = std::fs::read_to_string(&loki_path).unwrap();
    assert!(
        kept.contains("late-logs") && kept.contains("err-log"),
        "{kept}"
    );
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

/// Logging rules against the Loki stand-in (`testkit::loki`, Loki's HTTP API and local rule
/// store): the config check runs each LogQL expression once, and the state sync reads the
/// ruler's rules API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_rules_are_checked_and_synced_against_loki() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let rules = tempfile::tempdir().unwrap();
    let (loki_url, loki, _task) = common::loki_standin(rules.path()).await;
    let app = TestApp::start(Backend::Sqlite).await;
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    let loki_rules = rules.path().join("fake").display().to_string();
    let cluster = standalone(
        &app,
        &admin,
        &stack,
        &base,
        json!({"loki_url": loki_url, "loki_rules_dir": loki_rules}),
    )
    .await;
    let env = app
        .environment(&admin, "logs-team", ("admin", "admin"), cluster, "demo")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos() - 10_000_000_000;
    let lines: Vec<Value> = (0..3i128)
        .map(|i| {
            json!([
                (t + i * 1_000_000_000).to_string(),
                format!("error: retry {i}")
            ])
        })
        .collect();
    let pushed = reqwest::Client::new()
        .post(format!("{loki_url}/loki/api/v1/push"))
        .json(&json!({"streams": [{
            "stream": {"namespace": "demo", "pod": "app-1", "container": "app"},
            "values": lines,
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 204);
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("errs", "error", "1"),
    )
    .await;
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("hush", "never-logged", "0"),
    )
    .await;

    // The sanity query: a rule whose expression has series now is ok, one without is a warning.
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(
        (counts.checked, counts.drifted, counts.errors),
        (2, 0, 0),
        "{counts:?}"
    );
    let errs = rule_row(&app, "errs").await;
    assert_eq!(errs.check_status, "ok", "{:?}", errs.check_detail);
    let hush = rule_row(&app, "hush").await;
    assert_eq!(hush.check_status, "warning");
    let detail: Value = serde_json::from_str(&hush.check_detail.unwrap()).unwrap();
    assert_eq!(
        detail["problems"],
        json!(["the expression returns no series now"])
    );

    // The ruler evaluates the rule file Gemscope wrote; its states reach the rules.
    loki.evaluate_rules(true);
    let counts = run_job(&app, JobKind::AlertStateSync).await;
    assert_eq!((counts.checked, counts.errors), (2, 0), "{counts:?}");
    assert_eq!(rule_row(&app, "errs").await.state, "pending");
    assert_eq!(rule_row(&app, "hush").await.state, "inactive");
    app.cleanup().await;
}

/// A JSON merge patch on the fake API server.
async fn patch(base: &str, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .patch(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/merge-patch+json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(
        status.is_success(),
        "{path}: {status} {}",
        r.text().await.unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_found_and_repaired_orphans_removed_system_rules_kept_once() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (addr, _fake, _task, base) = serve_monitored(&stack).await;
    common::fake_kube::namespaces(&base, &["shop", "kubegems-logging"]).await;
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.public_url = Some("https://gemscope.example".into())
    })
    .await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = common::fake_kube::register(&app, &admin, addr).await;
    let env = app
        .environment(&admin, "shop-team", ("admin", "admin"), cluster, "shop")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let deep = "shop_queue_depth{namespace=\"shop\"} > 10";
    monitor_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("queue-deep", deep, "1m"),
    )
    .await;

    // In step: no drift; the sanity query finds no series, which is a warning only.
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(
        (counts.checked, counts.drifted, counts.errors),
        (1, 0, 0),
        "{counts:?}"
    );
    let r = rule_row(&app, "queue-deep").await;
    assert_eq!(r.check_status, "warning");
    assert!(
        r.check_detail
            .unwrap()
            .contains("the expression returns no series now")
    );

    // Edited behind Gemscope's back, plus an object labelled as Gemscope's that no rule owns.
    let pr_path = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/queue-deep";
    let mut live = common::fake_kube::get(&base, pr_path).await.unwrap();
    live["spec"]["groups"][0]["rules"][0]["expr"] =
        json!("shop_queue_depth{namespace=\"shop\"} > 999");
    patch(&base, pr_path, json!({"spec": live["spec"]})).await;
    common::fake_kube::create(
        &base,
        "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules",
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "ghost", "namespace": "shop", "labels": {
                "app.kubernetes.io/managed-by": "gemscope",
                "prometheusrule.kubegems.io/type": "monitor",
                "prometheusrule.kubegems.io/name": "ghost"}},
            "spec": {"groups": [{"name": "ghost", "rules": [{"alert": "ghost", "expr": "vector(1)"}]}]}}),
    )
    .await;
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!((counts.checked, counts.drifted), (1, 2), "{counts:?}");
    let r = rule_row(&app, "queue-deep").await;
    assert_eq!(r.check_status, "error");
    let detail: Value = serde_json::from_str(&r.check_detail.unwrap()).unwrap();
    assert_eq!(
        detail["problems"][0],
        "PrometheusRule shop/queue-deep differs from the database"
    );
    let diff = detail["diff"].as_str().unwrap();
    assert!(diff.contains("> 999"), "{diff}");
    assert!(diff.contains("(Gemscope database)"), "{diff}");

    // The report, as the drift page reads it; other users may not.
    let report = app
        .ok("/api/drift/list", json!({}), Auth::Cookie(&admin))
        .await;
    let prod = &report[0];
    assert_eq!(prod["cluster"], "prod");
    assert_eq!(prod["rules"][0]["name"], "queue-deep");
    assert_eq!(prod["orphans"][0]["name"], "ghost");
    assert_eq!(prod["orphans"][0]["kind"], "PrometheusRule");
    let orphan_id = prod["orphans"][0]["id"].as_i64().unwrap();
    app.create_user(&admin, "eve", "eve-password-1").await;
    let eve = app.login("eve", "eve-password-1").await;
    let r = app
        .call("/api/drift/list", json!({}), Auth::Cookie(&eve))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .call(
            "/api/drift/repair",
            json!({"target": {"kind": "orphan", "id": orphan_id}}),
            Auth::Cookie(&eve),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Repair: the rule is written again from the database, the orphan deleted; both audited.
    let out = app
        .ok(
            "/api/drift/repair",
            json!({"target": {"kind": "rule", "id": rule_id(&app, "queue-deep").await}}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(out["repaired"], json!(["shop/queue-deep"]));
    let live = common::fake_kube::get(&base, pr_path).await.unwrap();
    assert_eq!(
        live["spec"]["groups"][0]["rules"][0]["expr"],
        "shop_queue_depth{namespace=\"shop\"} > 10"
    );
    assert_eq!(rule_row(&app, "queue-deep").await.check_status, "warning");

    // The receiver URLs live in a Secret: a changed one is found (never shown) and repaired.
    let secret_path = "/api/v1/namespaces/shop/secrets/gemscope-receivers-queue-deep";
    let original = common::fake_kube::get(&base, secret_path).await.unwrap();
    let forged = json!({"gemscope-history": "aHR0cDovL2F0dGFja2VyLmV4YW1wbGUv"});
    patch(&base, secret_path, json!({"data": forged})).await;
    run_job(&app, JobKind::AlertConfigCheck).await;
    let r = rule_row(&app, "queue-deep").await;
    assert_eq!(r.check_status, "error");
    let detail = r.check_detail.unwrap();
    assert!(
        detail.contains("does not hold the receiver URLs"),
        "{detail}"
    );
    let token_b64 = original["data"]["gemscope-history"].as_str().unwrap();
    assert!(
        !detail.contains(token_b64),
        "the report shows no receiver URL"
    );
    app.ok(
        "/api/drift/repair",
        json!({"target": {"kind": "rule", "id": rule_id(&app, "queue-deep").await}}),
        Auth::Cookie(&admin),
    )
    .await;
    let repaired = common::fake_kube::get(&base, secret_path).await.unwrap();
    assert_eq!(repaired["data"], original["data"]);

    app.ok(
        "/api/drift/repair",
        json!({"target": {"kind": "orphan", "id": orphan_id}}),
        Auth::Cookie(&admin),
    )
    .await;
    let ghost = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/ghost";
    assert!(common::fake_kube::get(&base, ghost).await.is_none());
    assert_eq!(rule_orphan::Entity::find().count(&app.db).await.unwrap(), 0);
    let audit = app
        .ok(
            "/api/audit/list",
            json!({"filter": {"action": "drift.repair"}}),
            Auth::Cookie(&admin),
        )
        .await;
    let audit = audit.as_array().unwrap();
    let outcome = |a: &Value| {
        (
            a["username"].clone(),
            a["target"].clone(),
            a["success"].clone(),
        )
    };
    assert_eq!(
        audit.iter().map(outcome).collect::<Vec<_>>(),
        vec![
            (
                json!("admin"),
                json!(format!("orphan {orphan_id}")),
                json!(true)
            ),
            // The receivers' Secret, then the PrometheusRule.
            (json!("admin"), json!("rule 1"), json!(true)),
            (json!("admin"), json!("rule 1"), json!(true)),
            (
                json!("eve"),
                json!(format!("orphan {orphan_id}")),
                json!(false)
            ),
        ]
    );

    // System rules: none without a system-wide channel to notify.
    let err = app
        .state
        .jobs
        .execute(JobKind::SystemAlertRules)
        .await
        .unwrap_err();
    assert!(err.contains("no system-wide alert channel"), "{err}");
    app.ok(
        "/api/channels/create",
        json!({"tenant_id": null, "channel": {"name": "ops", "config": {"type": "webhook", "url": {"value": "https://hooks.example.com/ops"}}}}),
        Auth::Cookie(&admin),
    )
    .await;
    let system = || async {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::Namespace.eq("kubegems-monitoring"))
            .count(&app.db)
            .await
            .unwrap()
    };
    let first = run_job(&app, JobKind::SystemAlertRules).await;
    let templates = server::db::entities::alert_template::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert!(templates >= 20, "{templates} system templates");
    assert_eq!(first.checked, templates);
    assert_eq!((first.changed, first.errors), (templates, 0), "{first:?}");
    assert_eq!(system().await, first.changed);
    // Healthy ones are left alone, and nothing is created twice.
    let second = run_job(&app, JobKind::SystemAlertRules).await;
    assert_eq!(second.changed, 0, "{second:?}");
    assert_eq!(system().await, first.changed);
    // A deleted one comes back, once.
    let victim = alert_rule::Entity::find()
        .filter(alert_rule::Column::Namespace.eq("kubegems-monitoring"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .name;
    app.ok(
        "/api/alert-rules/delete",
        json!({"scope": {"kind": "system", "id": cluster}, "name": victim}),
        Auth::Cookie(&admin),
    )
    .await;
    assert_eq!(system().await, first.changed - 1);
    let third = run_job(&app, JobKind::SystemAlertRules).await;
    assert_eq!(third.changed, 1, "{third:?}");
    assert_eq!(system().await, first.changed);
    let pr = format!(
        "/apis/monitoring.coreos.com/v1/namespaces/kubegems-monitoring/prometheusrules/{victim}"
    );
    assert!(common::fake_kube::get(&base, &pr).await.is_some());

    // A logging rule lives in its namespace's key of the Loki rules ConfigMap: an edited group
    // there is drift, a group no rule owns is an orphan.
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("err-log", "error", "10"),
    )
    .await;
    run_job(&app, JobKind::AlertConfigCheck).await;
    assert_ne!(rule_row(&app, "err-log").await.check_status, "error");
    let cm_path = "/api/v1/namespaces/kubegems-logging/configmaps/kubegems-loki-rules";
    let cm = common::fake_kube::get(&base, cm_path).await.unwrap();
    let text = cm["data"]["shop"].as_str().unwrap().to_string();
    assert!(text.contains("> 10)"), "{text}");
    let mut file: Value = serde_norway::from_str(&text.replace("> 10)", "> 99)")).unwrap();
    file["groups"].as_array_mut().unwrap().push(
        json!({"name": "ghost-logs", "rules": [{"alert": "ghost-logs", "expr": "vector(1)"}]}),
    );
    let edited = serde_norway::to_string(&file).unwrap();
    patch(&base, cm_path, json!({"data": {"shop": edited}})).await;
    run_job(&app, JobKind::AlertConfigCheck).await;
    let r = rule_row(&app, "err-log").await;
    assert_eq!(r.check_status, "error");
    let detail: Value = serde_json::from_str(&r.check_detail.unwrap()).unwrap();
    assert_eq!(
        detail["problems"][0],
        "Loki rules shop/err-log differs from the database"
    );
    assert!(detail["diff"].as_str().unwrap().contains("> 99)"));
    let orphan = rule_orphan::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            orphan.kind.as_str(),
            orphan.namespace.as_str(),
            orphan.name.as_str()
        ),
        ("LokiRules", "shop", "ghost-logs")
    );
    repair_all(&app, &admin, cluster).await;
    let cm = common::fake_kube::get(&base, cm_path).await.unwrap();
    let now = cm["data"]["shop"].as_str().unwrap();
    assert!(now.contains("> 10)") && !now.contains("> 99)"), "{now}");
    assert!(!now.contains("ghost-logs"), "{now}");
    assert_ne!(rule_row(&app, "err-log").await.check_status, "error");
}

/// A Gemscope process on `url`, running jobs with the given settings.
fn replica(url: &str, dir: &std::path::Path, name: &str, env: &[(&str, &str)]) -> Child {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gemscope"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GEMSCOPE_DATABASE_URL", url)
        .env("GEMSCOPE_DATA_DIR", dir)
        .env("GEMSCOPE_SITE_ROOT", dir)
        .env("GEMSCOPE_LISTEN", "127.0.0.1:0")
        .env("GEMSCOPE_ADMIN_PASSWORD", ADMIN_PW)
        .env("GEMSCOPE_LOG", "info")
        .env("GEMSCOPE_JOB_STATE_SYNC", "")
        .env("GEMSCOPE_JOB_CONFIG_CHECK", "")
        .env("GEMSCOPE_JOB_SYSTEM_RULES", "")
        .env("GEMSCOPE_JOB_HISTORY_ARCHIVE", "")
        .env("GEMSCOPE_JOB_LEASE_SECS", "3")
        .env("HOSTNAME", name);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Waits for a process to exit; returns how long it took.
fn reap(child: &mut Child, secs: u64) -> Duration {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "process did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn runs(app: &TestApp) -> Vec<job_run::Model> {
    job_run::Entity::find().all(&app.db).await.unwrap()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_runs_once_across_replicas_and_survives_kills_and_restarts() {
    if std::env::var("GEMSCOPE_TEST_POSTGRES_URL").is_err() {
        let required = std::env::var("GEMSCOPE_TEST_REQUIRE_ALL_DBS").is_ok_and(|v| v == "1");
        assert!(!required, "GEMSCOPE_TEST_POSTGRES_URL is required");
        eprintln!("GEMSCOPE_TEST_POSTGRES_URL not set: skipping");
        return;
    }
    let app = TestApp::start(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();

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
    let mut ticks: Vec<i64> = all.iter().map(|r| r.tick_key.parse().unwrap()).collect();
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
        let log = std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap();
        assert!(log.contains("job finished"), "{name} ran no tick:\n{log}");
    }
    job_run::Entity::delete_many().exec(&app.db).await.unwrap();

    // A replica killed mid-run: the other takes the run over when the lease passes.
    let slow = slow_prometheus(Duration::from_secs(5)).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = app.standalone_cluster(&admin, "slow", &slow).await;
    bare_rule(&app, cluster, "slow-rule").await;
    let mut a = replica(&app.url, dir.path(), "replica-c", &[]);
    let mut b = replica(&app.url, dir.path(), "replica-d", &[]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let queued = server::jobs::queue::enqueue_manual(&app.db, JobKind::AlertStateSync, 1)
        .await
        .unwrap();
    let mut owner = String::new();
    wait_for("the run to start", 20, async || {
        let r = row(&app, queued.id).await;
        owner = r.lease_owner.clone();
        r.status == "running"
    })
    .await;
    let (victim, survivor) = if owner.starts_with("replica-c") {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    victim.kill().unwrap();
    victim.wait().unwrap();
    wait_for("the survivor to finish the run", 30, async || {
        let r = row(&app, queued.id).await;
        r.status == "ok"
    })
    .await;
    let r = row(&app, queued.id).await;
    assert_eq!(r.attempts, 2, "{r:?}");
    let counts: RunCounts = serde_json::from_str(r.counts.as_deref().unwrap()).unwrap();
    assert_eq!(counts.checked, 1);
    assert_eq!(runs(&app).await.len(), 1);

    // SIGTERM mid-run with time to spare: the run finishes before the process exits.
    let queued = server::jobs::queue::enqueue_manual(&app.db, JobKind::AlertStateSync, 1)
        .await
        .unwrap();
    wait_for("the second run to start", 20, async || {
        let r = row(&app, queued.id).await;
        r.status == "running"
    })
    .await;
    terminate(survivor);
    let took = reap(survivor, 30);
    let r = row(&app, queued.id).await;
    assert_eq!(
        (r.status.as_str(), r.attempts),
        ("ok", 1),
        "{r:?} after {took:?}"
    );

    // SIGTERM with too short a grace: the run is handed back, and the next start completes it.
    let short = [("GEMSCOPE_JOB_SHUTDOWN_SECS", "1")];
    let mut e = replica(&app.url, dir.path(), "replica-e", &short);
    let queued = server::jobs::queue::enqueue_manual(&app.db, JobKind::AlertStateSync, 1)
        .await
        .unwrap();
    wait_for("the third run to start", 20, async || {
        let r = row(&app, queued.id).await;
        r.status == "running"
    })
    .await;
    terminate(&e);
    reap(&mut e, 20);
    let r = row(&app, queued.id).await;
    assert_eq!(
        (r.status.as_str(), r.lease_until),
        ("running", 0),
        "handed back: {r:?}"
    );
    let mut f = replica(&app.url, dir.path(), "replica-f", &[]);
    wait_for("the restarted replica to finish the run", 30, async || {
        let r = row(&app, queued.id).await;
        r.status == "ok"
    })
    .await;
    let r = row(&app, queued.id).await;
    assert_eq!(r.attempts, 2, "{r:?}");
    assert_eq!(runs(&app).await.len(), 3, "nothing lost or doubled");
    terminate(&f);
    reap(&mut f, 30);
    app.cleanup().await;
}

async fn row(app: &TestApp, id: i64) -> job_run::Model {
    job_run::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn expire(app: &TestApp, id: i64) {
    job_run::Entity::update_many()
        .col_expr(
            job_run::Column::LeaseUntil,
            sea_orm::sea_query::Expr::value(0i64),
        )
        .col_expr(
            job_run::Column::NotBefore,
            sea_orm::sea_query::Expr::value(0i64),
        )
        .filter(job_run::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_hands_each_row_to_one_replica_on_every_database() {
    use server::jobs::queue::{self, RunOutcome, Taken};
    for backend in common::backends() {
        let app = TestApp::start(backend).await;
        let db = &app.db;
        let job = JobKind::AlertConfigCheck;
        // Every replica enqueues the same tick: one row.
        for _ in 0..3 {
            queue::enqueue_tick(db, job, 1_800_000_000).await.unwrap();
        }
        assert_eq!(runs(&app).await.len(), 1, "{backend}");

        // Four replicas look at once: one takes it.
        let claims = futures_util::future::join_all(
            ["a", "b", "c", "d"].map(|o| queue::claim(db, o, 60_000, 3)),
        )
        .await;
        let taken: Vec<_> = claims
            .into_iter()
            .filter_map(|c| match c.unwrap() {
                Some(Taken::Run(r)) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(taken.len(), 1, "{backend}");
        let (id, owner) = (taken[0].id, taken[0].lease_owner.clone());
        assert_eq!(taken[0].attempts, 1);
        let other = if owner == "a" { "b" } else { "a" };
        assert!(
            !queue::renew(db, id, other, 60_000).await.unwrap(),
            "{backend}"
        );
        assert!(
            queue::renew(db, id, &owner, 60_000).await.unwrap(),
            "{backend}"
        );
        assert!(
            queue::claim(db, other, 60_000, 3).await.unwrap().is_none(),
            "{backend}: held"
        );

        // The holder stops renewing: another replica takes the run over, and the first one's
        // result no longer counts.
        expire(&app, id).await;
        let Some(Taken::Run(r)) = queue::claim(db, other, 60_000, 3).await.unwrap() else {
            panic!("{backend}: a passed lease is taken over");
        };
        assert_eq!((r.attempts, r.lease_owner.as_str()), (2, other));
        let done = RunOutcome::Ok(RunCounts::default());
        assert!(
            !queue::finish(db, id, &owner, &done).await.unwrap(),
            "{backend}"
        );

        // A failure with attempts left waits for its retry time.
        let retry = RunOutcome::Failed {
            error: "cluster down".into(),
            retry_at: Some(queue::now_ms() + 60_000),
        };
        assert!(
            queue::finish(db, id, other, &retry).await.unwrap(),
            "{backend}"
        );
        let r = row(&app, id).await;
        assert_eq!(
            (r.status.as_str(), r.error.as_deref()),
            ("queued", Some("cluster down"))
        );
        assert!(
            queue::claim(db, "c", 60_000, 3).await.unwrap().is_none(),
            "{backend}: not yet"
        );
        expire(&app, id).await;
        assert!(matches!(
            queue::claim(db, "c", 60_000, 3).await.unwrap(),
            Some(Taken::Run(r)) if r.attempts == 3
        ));
        // Its last attempt's replica dies too: the run is given up, not taken a fourth time.
        expire(&app, id).await;
        assert!(matches!(
            queue::claim(db, "d", 60_000, 3).await.unwrap(),
            Some(Taken::GaveUp(_))
        ));
        let r = row(&app, id).await;
        assert_eq!(r.status, "failed", "{backend}");
        assert!(r.error.unwrap().contains("stopped 3 times"));

        // "Run now": one waiting at a time; a stopping replica hands its runs back.
        let manual = queue::enqueue_manual(db, job, 1).await.unwrap();
        assert_eq!(
            queue::pending(db, job).await.unwrap().map(|p| p.id),
            Some(manual.id)
        );
        assert!(queue::claim(db, "e", 60_000, 3).await.unwrap().is_some());
        assert_eq!(queue::release(db, "e").await.unwrap(), 1, "{backend}");
        assert!(matches!(
            queue::claim(db, "f", 60_000, 3).await.unwrap(),
            Some(Taken::Run(r)) if r.id == manual.id && r.attempts == 2
        ));
        app.cleanup().await;
    }
}
