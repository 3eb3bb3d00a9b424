//! Cluster connection tests against a real Prometheus and Alertmanager.

mod common;

use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_test_reports_real_versions_and_unreachable_endpoints() {
    let Some(mut stack) = RealStack::start() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    // Nothing listens on the Loki port: bind and release one.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let created = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "local", "kind": "standalone", "settings": {
                "prometheus_url": stack.prometheus_url,
                "alertmanager_url": stack.alertmanager_url,
                "loki_url": format!("http://127.0.0.1:{dead}"),
            }}}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(
        created["last_check"],
        serde_json::Value::Null,
        "never tested yet"
    );
    let id = created["id"].as_i64().unwrap();

    let check = app
        .ok(
            "/api/clusters/test",
            json!({"cluster_id": id}),
            Auth::Cookie(&admin),
        )
        .await;
    let by = |c: &serde_json::Value, name: &str| {
        c["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["component"] == name)
            .cloned()
            .unwrap()
    };
    let prom = by(&check, "prometheus");
    assert_eq!(prom["ok"], true, "{check}");
    assert!(
        prom["version"].as_str().unwrap().starts_with("2."),
        "{prom}"
    );
    let am = by(&check, "alertmanager");
    assert_eq!(am["ok"], true, "{check}");
    assert!(am["version"].as_str().unwrap().starts_with("0."), "{am}");
    let loki = by(&check, "loki");
    assert_eq!(loki["ok"], false);
    assert!(!loki["error"].as_str().unwrap().is_empty());
    assert_eq!(
        check["reachable"], false,
        "one endpoint down means not reachable"
    );

    // The result is stored and comes back with the cluster.
    let listed = app
        .ok(
            "/api/clusters/get",
            json!({"cluster_id": id}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(listed["last_check"], check);

    // Without Loki every endpoint answers; then Prometheus stops and the cluster is unreachable.
    app.ok(
        "/api/clusters/update",
        json!({"cluster_id": id, "cluster": {"name": "local", "kind": "standalone", "settings": {
            "prometheus_url": stack.prometheus_url, "alertmanager_url": stack.alertmanager_url}}}),
        Auth::Cookie(&admin),
    )
    .await;
    let healthy = app
        .ok(
            "/api/clusters/test",
            json!({"cluster_id": id}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(healthy["reachable"], true, "{healthy}");
    stack.stop_prometheus();
    let down = app
        .ok(
            "/api/clusters/test",
            json!({"cluster_id": id}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(down["reachable"], false, "{down}");
    assert_eq!(by(&down, "prometheus")["ok"], false);
    assert_eq!(by(&down, "alertmanager")["ok"], true);

    // A Kubernetes cluster is never reported reachable while its API server cannot be checked.
    let k = app
        .ok("/api/clusters/create", json!({"cluster": {"name": "k8s", "kind": "kubernetes", "settings": {"prometheus_url": stack.alertmanager_url}}}), Auth::Cookie(&admin))
        .await;
    let kc = app
        .ok(
            "/api/clusters/test",
            json!({"cluster_id": k["id"]}),
            Auth::Cookie(&admin),
        )
        .await;
    assert_eq!(kc["reachable"], false);
    assert_eq!(by(&kc, "kubernetes")["ok"], false);
    // Alertmanager's port answers, but not as Prometheus: the probe says so.
    assert_eq!(by(&kc, "prometheus")["ok"], false, "{kc}");
    app.cleanup().await;
}
