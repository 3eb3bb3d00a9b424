//! The config check on Kubernetes: drift found and repaired, orphans removed, system rules kept once.

use super::*;

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
    let report = app.fun_ok(ListDrift {}, Auth::Cookie(&admin)).await;
    let prod = &report[0];
    assert_eq!(prod["cluster"], "prod");
    assert_eq!(prod["rules"][0]["name"], "queue-deep");
    assert_eq!(prod["orphans"][0]["name"], "ghost");
    assert_eq!(prod["orphans"][0]["kind"], "PrometheusRule");
    let orphan_id = prod["orphans"][0]["id"].as_i64().unwrap();
    app.create_user(&admin, "eve", "eve-password-1").await;
    let eve = app.login("eve", "eve-password-1").await;
    let r = app.fun(ListDrift {}, Auth::Cookie(&eve)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let target = RepairTarget::Orphan(orphan_id);
    let r = app.fun(RepairDrift { target }, Auth::Cookie(&eve)).await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Repair: the rule is written again from the database, the orphan deleted; both audited.
    let out = repair_rule(&app, &admin, "queue-deep").await;
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
    repair_rule(&app, &admin, "queue-deep").await;
    let repaired = common::fake_kube::get(&base, secret_path).await.unwrap();
    assert_eq!(repaired["data"], original["data"]);

    let target = RepairTarget::Orphan(orphan_id);
    app.fun_ok(RepairDrift { target }, Auth::Cookie(&admin))
        .await;
    let ghost = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/ghost";
    assert!(common::fake_kube::get(&base, ghost).await.is_none());
    assert_eq!(rule_orphan::Entity::find().count(&app.db).await.unwrap(), 0);
    let repairs = app::api::audit::ListAudit {
        filter: app::model::AuditFilter {
            action: Some("drift.repair".into()),
            ..Default::default()
        },
    };
    let audit = app.fun_ok(repairs, Auth::Cookie(&admin)).await;
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
    assert!(
        matches!(err, server::jobs::error::JobError::NotReady(m) if m.contains("no system-wide alert channel")),
        "{err}"
    );
    let create = app::api::channels::CreateChannel {
        tenant_id: None,
        channel: app::model::ChannelInput {
            name: "ops".into(),
            ..common::rules::webhook("https://hooks.example.com/ops")
        },
    };
    app.fun_ok(create, Auth::Cookie(&admin)).await;
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
    let delete = app::api::alert_rules::DeleteAlertRule {
        scope: RuleScope::System(cluster),
        name: victim.clone(),
    };
    app.fun_ok(delete, Auth::Cookie(&admin)).await;
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
