//! Repair against the fake API server, which merges server-side applies the way kube-apiserver
//! 1.36 does (fixtures/kube/57-62): a repair leaves the cluster holding exactly what the
//! database renders, or says it failed; and the objects "prepare" writes are never orphans.
//! Then the same logic against an in-memory backend (common/fake_backend.rs): the write saga,
//! the check, repair and orphans, with no cluster at all.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use app::api::jobs::ListDrift;
use app::domain::rule_objects::ObjectRef;
use app::model::JobKind;
use common::fake_backend::{FakeCluster, FakeConnector};
use common::fake_kube::{TOKEN, serve_monitored};
use common::real::RealStack;
use common::rules::{monitor_rule, repair_all, repair_rule, rule_row, run_job, webhook_channel};
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::db::entities::alert_rule;

const RULE: &str = "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/queue-deep";
const EXPR: &str = "shop_queue_depth{namespace=\"shop\"} > 10";

/// A Kubernetes cluster "prod" on the fake, with namespace `shop`; returns the app, the admin's
/// session, the cluster id, the environment id and the tenant's webhook channel.
async fn kube_world(base: &str, addr: std::net::SocketAddr) -> (TestApp, String, i64, i64, i64) {
    common::fake_kube::namespaces(base, &["shop"]).await;
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.public_url = Some("https://gemscope.example".into())
    })
    .await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = common::fake_kube::register(&app, &admin, addr).await;
    let env = app
        .environment(&admin, "shop-team", ("admin", "admin"), cluster, "shop")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    (app, admin, cluster, env.environment, channel)
}

/// What another client did in fixture 58: `spec.groups` replaced with an always-firing group of
/// its own, and a label added, by JSON merge patch.
async fn foreign_edit(base: &str) {
    let r = reqwest::Client::new()
        .patch(format!("{base}{RULE}"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/merge-patch+json")
        .header("user-agent", "kubectl-edit")
        .json(&json!({"metadata": {"labels": {"tampered": "yes"}},
            "spec": {"groups": [{"name": "x", "rules": [{"alert": "x", "expr": "vector(1)"}]}]}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// The live rule holds Gemscope's group alone, with the stored expression, and no foreign label.
async fn assert_converged(base: &str) {
    let live: Value = common::fake_kube::get(base, RULE).await.expect("rule");
    let groups = live["spec"]["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(names, ["queue-deep"], "{live}");
    assert_eq!(groups[0]["rules"][0]["expr"], EXPR, "{live}");
    assert!(
        live["metadata"]["labels"].get("tampered").is_none(),
        "{live}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_takes_back_a_group_another_client_put_into_a_rule() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (addr, _fake, _task, base) = serve_monitored(&stack).await;
    let (app, admin, cluster, env, channel) = kube_world(&base, addr).await;
    monitor_rule(&app, &admin, env, channel, ("queue-deep", EXPR, "1m")).await;

    // One rule repaired on its own.
    foreign_edit(&base).await;
    run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(rule_row(&app, "queue-deep").await.check_status, "error");
    let out = repair_rule(&app, &admin, "queue-deep").await;
    assert_eq!(out["repaired"], json!(["shop/queue-deep"]), "{out}");
    assert_converged(&base).await;
    assert_ne!(rule_row(&app, "queue-deep").await.check_status, "error");

    // And the same through "Repair all" on the cluster.
    foreign_edit(&base).await;
    run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(rule_row(&app, "queue-deep").await.check_status, "error");
    let out = repair_all(&app, &admin, cluster).await;
    assert_eq!(out["repaired"], json!(["shop/queue-deep"]), "{out}");
    assert_converged(&base).await;
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_prepare_writes_are_never_orphans_and_survive_repair_all() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (addr, _fake, _task, base) = serve_monitored(&stack).await;
    let (app, admin, cluster, _env, _channel) = kube_world(&base, addr).await;
    app.prepare_cluster(cluster, &admin).await;
    let prepared = [
        "/apis/monitoring.coreos.com/v1/namespaces/kubegems-monitoring/prometheusrules/gemscope-recording-rules",
        "/apis/monitoring.coreos.com/v1alpha1/namespaces/kubegems-monitoring/alertmanagerconfigs/gemscope-global",
    ];
    for path in prepared {
        assert!(
            common::fake_kube::get(&base, path).await.is_some(),
            "{path} prepared"
        );
    }

    run_job(&app, JobKind::AlertConfigCheck).await;
    let report = app.fun_ok(ListDrift {}, Auth::Cookie(&admin)).await;
    assert_eq!(report[0]["orphans"], json!([]), "{report}");
    repair_all(&app, &admin, cluster).await;
    for path in prepared {
        assert!(
            common::fake_kube::get(&base, path).await.is_some(),
            "{path} survives repair all"
        );
    }
    app.cleanup().await;
}

/// The services' logic against the in-memory backend (no Kubernetes API, no files): a cluster
/// "mem" with namespace `shop` and one monitoring rule `queue-deep`; `alertmanager` is the URL of
/// the cluster's Alertmanager, for the tests that settle silences. Returns the app, the admin's
/// session, the cluster id, the channel id and the fake.
async fn memory_world(alertmanager: &str) -> (TestApp, String, i64, i64, Arc<FakeCluster>) {
    let fake = Arc::new(FakeCluster::default());
    let app = TestApp::start_on(Backend::Sqlite, Arc::new(FakeConnector(fake.clone()))).await;
    let admin = app.login("admin", ADMIN_PW).await;
    // The Prometheus URL is stored; nothing answers there, so the sanity query only warns.
    let settings = app::model::ClusterSettings {
        prometheus_url: "http://127.0.0.1:1".into(),
        alertmanager_url: alertmanager.into(),
        ..Default::default()
    };
    let cluster = app
        .create_cluster(&admin, common::standalone("mem", settings))
        .await["id"]
        .as_i64()
        .expect("cluster id");
    let env = app
        .environment(&admin, "shop-team", ("admin", "admin"), cluster, "shop")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    monitor_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("queue-deep", EXPR, "1m"),
    )
    .await;
    (app, admin, cluster, channel, fake)
}

fn rule_object() -> ObjectRef {
    ObjectRef::PrometheusRule {
        namespace: "shop".into(),
        name: "queue-deep".into(),
    }
}

#[tokio::test]
async fn a_saved_rule_is_written_once_through_the_backend() {
    let (app, _admin, _cluster, _channel, fake) = memory_world("").await;
    assert_eq!(
        fake.names(),
        [
            "PrometheusRule shop/queue-deep",
            "AlertmanagerConfig shop/queue-deep",
            "Secret shop/gemscope-receivers-queue-deep",
        ]
    );
    let live = fake.get(&rule_object()).unwrap();
    assert_eq!(
        live["spec"]["groups"][0]["rules"][0]["expr"], EXPR,
        "{live}"
    );
    // A re-sync with nothing changed writes nothing.
    let writes = fake.log.lock().unwrap().len();
    run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(rule_row(&app, "queue-deep").await.check_status, "warning");
    assert_eq!(fake.log.lock().unwrap().len(), writes);
    app.cleanup().await;
}

#[tokio::test]
async fn the_check_finds_an_edit_and_repair_puts_back_what_the_database_renders() {
    // Repairing a rule settles its silence too, so this cluster has a real Alertmanager.
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (app, admin, _cluster, _channel, fake) = memory_world(&stack.alertmanager_url).await;
    let written = fake.get(&rule_object()).unwrap();
    let mut edited = written.clone();
    edited["spec"]["groups"][0]["rules"][0]["expr"] = json!("vector(1)");
    fake.set(rule_object(), edited);

    run_job(&app, JobKind::AlertConfigCheck).await;
    let row = rule_row(&app, "queue-deep").await;
    assert_eq!(row.check_status, "error");
    let detail = row.check_detail.unwrap_or_default();
    assert!(
        detail.contains("PrometheusRule shop/queue-deep differs from the database"),
        "{detail}"
    );
    let out = repair_rule(&app, &admin, "queue-deep").await;
    assert_eq!(out["repaired"], json!(["shop/queue-deep"]), "{out}");
    assert_eq!(fake.get(&rule_object()), Some(written));
    assert_ne!(rule_row(&app, "queue-deep").await.check_status, "error");
    app.cleanup().await;
}

#[tokio::test]
async fn an_object_no_rule_owns_is_an_orphan_and_repair_removes_it() {
    let (app, admin, cluster, _channel, fake) = memory_world("").await;
    let ghost = ObjectRef::PrometheusRule {
        namespace: "shop".into(),
        name: "ghost".into(),
    };
    let mut body = fake.get(&rule_object()).unwrap();
    body["metadata"]["name"] = json!("ghost");
    fake.set(ghost.clone(), body);

    run_job(&app, JobKind::AlertConfigCheck).await;
    let report = app.fun_ok(ListDrift {}, Auth::Cookie(&admin)).await;
    let orphans = &report[0]["orphans"];
    assert_eq!(orphans.as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(orphans[0]["name"], "ghost");
    assert_eq!(orphans[0]["kind"], "PrometheusRule");
    repair_all(&app, &admin, cluster).await;
    assert_eq!(fake.get(&ghost), None);
    assert!(
        fake.get(&rule_object()).is_some(),
        "the rule's own object stays"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_write_the_cluster_refuses_leaves_no_rule_behind() {
    let (app, admin, _cluster, channel, fake) = memory_world("").await;
    let env = rule_row(&app, "queue-deep").await.environment_id.unwrap();
    let before = fake.names();
    fake.refuse_writes.store(true, Ordering::SeqCst);
    let rule = app::model::AlertRuleInput {
        name: "refused".into(),
        alert_type: app::model::AlertType::Monitor,
        expr: EXPR.into(),
        for_: "1m".into(),
        alert_levels: vec![Default::default()],
        receivers: vec![app::model::RuleReceiver {
            channel_id: channel,
            interval: "1h".into(),
        }],
        is_open: true,
        ..Default::default()
    };
    let create = app::api::alert_rules::CreateAlertRule {
        scope: app::model::RuleScope::Environment(env),
        rule,
    };
    let r = app.fun(create, Auth::Cookie(&admin)).await;
    assert_eq!(r.status, 502, "{}", r.body);
    assert!(
        r.body
            .to_string()
            .contains("the fake cluster refuses writes"),
        "{}",
        r.body
    );
    fake.refuse_writes.store(false, Ordering::SeqCst);
    let stored = alert_rule::Entity::find()
        .filter(alert_rule::Column::Name.eq("refused"))
        .one(&app.db)
        .await
        .unwrap();
    assert!(stored.is_none(), "the database holds no half-saved rule");
    assert_eq!(fake.names(), before, "nor does the cluster");
    app.cleanup().await;
}
