//! Repair against the fake API server, which merges server-side applies the way kube-apiserver
//! 1.36 does (fixtures/kube/57-62): a repair leaves the cluster holding exactly what the
//! database renders, or says it failed; and the objects "prepare" writes are never orphans.

mod common;

use app::model::JobKind;
use common::fake_kube::{TOKEN, serve_monitored};
use common::real::RealStack;
use common::rules::{monitor_rule, repair_all, rule_id, rule_row, run_job, webhook_channel};
use common::{ADMIN_PW, Auth, Backend, TestApp};
use serde_json::{Value, json};

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
    let out = app
        .ok(
            "/api/drift/repair",
            json!({"target": {"kind": "rule", "id": rule_id(&app, "queue-deep").await}}),
            Auth::Cookie(&admin),
        )
        .await;
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
    app.on_cluster("prepare", &cluster, &admin).await;
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
    let report = app
        .ok("/api/drift/list", json!({}), Auth::Cookie(&admin))
        .await;
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
