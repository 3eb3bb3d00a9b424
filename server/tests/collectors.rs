//! Metric collectors on a Kubernetes cluster (the fake API server of `testkit`, which checks
//! ServiceMonitors against the real CRD schema) with a real Prometheus reporting scrape states.

mod common;

use std::time::{Duration, Instant};

use common::fake_kube::{self, install_monitoring, kubeconfig};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::db::entities::audit_log;

fn service(name: &str, ports: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name, "tier": "backend"}},
        "spec": {"selector": {"app": name}, "ports": ports}})
}

fn row<'a>(list: &'a Value, svc: &str) -> &'a Value {
    list["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == svc)
        .unwrap_or_else(|| panic!("no collector {svc} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collectors_write_service_monitors_and_show_scrape_state() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (addr, _fake, _task) = fake_kube::start().await;
    let base = format!("http://{addr}");
    install_monitoring(&base, &stack).await;
    fake_kube::create(
        &base,
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    )
    .await;
    let svcs = "/api/v1/namespaces/shop/services";
    let metrics_port = json!([{"name": "metrics", "port": 9100, "targetPort": 9100}, {"name": "http", "port": 80}]);
    for name in ["web", "api", "cache", "legacy"] {
        fake_kube::create(&base, svcs, service(name, metrics_port.clone())).await;
    }
    fake_kube::create(&base, svcs, service("db", json!([{"port": 5432}]))).await;
    // Somebody else's ServiceMonitor, which Gemscope must not take over.
    fake_kube::create(
        &base,
        "/apis/monitoring.coreos.com/v1/namespaces/shop/servicemonitors",
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "legacy"},
            "spec": {"selector": {"matchLabels": {"app": "legacy"}}, "endpoints": [{"port": "metrics"}]}}),
    )
    .await;
    // What prometheus-operator would generate for two of the monitors: web scrapes Prometheus
    // itself (up), api a closed port (down).
    let prom_host = stack.prometheus_url.trim_start_matches("http://");
    stack
        .add_scrape_configs(&format!(
            "  - job_name: serviceMonitor/shop/web/0\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{prom_host}']\n  - job_name: serviceMonitor/shop/api/0\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:1']\n"
        ))
        .await;

    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    app.create_user(&admin, "victor", "victor-password").await;
    app.create_user(&admin, "bob", "bob-password").await;
    let cluster = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "prod", "kind": "kubernetes", "kubeconfig": kubeconfig(addr, fake_kube::TOKEN)}}),
            Auth::Cookie(&admin),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let shop = app
        .environment(&admin, "shop-team", ("alice", "member"), cluster, "shop")
        .await;
    app.ok(
        "/api/members/set",
        json!({"tenant_id": shop.tenant, "username": "victor", "role": "viewer"}),
        Auth::Cookie(&admin),
    )
    .await;
    let other = app
        .environment(&admin, "db-team", ("bob", "member"), cluster, "other")
        .await;
    let alice = app.login("alice", "alice-password").await;
    let victor = app.login("victor", "victor-password").await;
    let bob = app.login("bob", "bob-password").await;
    let env = shop.environment;
    let list = |who: &str| {
        let who = who.to_string();
        let app = &app;
        async move {
            app.ok(
                "/api/collectors/list",
                json!({"environment_id": env}),
                Auth::Cookie(&who),
            )
            .await
        }
    };

    // The namespace's Services with their named ports; nothing collected yet.
    let l = list(&victor).await;
    assert_eq!(l["namespace"], "shop");
    let names: Vec<&str> = l["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "cache", "db", "legacy", "web"]);
    assert_eq!(
        row(&l, "web")["ports"][0],
        json!({"name": "metrics", "port": 9100, "protocol": "TCP"})
    );
    assert_eq!(
        row(&l, "db")["ports"],
        json!([]),
        "unnamed ports cannot be scraped by name"
    );
    assert_eq!(row(&l, "web")["config"], Value::Null);
    assert_eq!(row(&l, "legacy")["config"], Value::Null, "not ours");

    // Bad input names the field and writes nothing.
    let enable = |svc: &str, port: &str, path: &str, interval: &str| json!({"environment_id": env, "service": svc, "config": {"port": port, "path": path, "interval": interval}});
    for (body, field, text) in [
        (
            enable("web", "grpc", "/metrics", "30s"),
            "port",
            "it has: metrics, http",
        ),
        (
            enable("web", "metrics", "metrics", "30s"),
            "path",
            "start with /",
        ),
        (
            enable("web", "metrics", "/metrics", "often"),
            "interval",
            "duration",
        ),
        (enable("db", "", "/metrics", "30s"), "port", "choose"),
        (
            enable("Web!", "metrics", "/metrics", "30s"),
            "service",
            "lowercase",
        ),
    ] {
        let r = app
            .call("/api/collectors/enable", body.clone(), Auth::Cookie(&alice))
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.body["field"], field, "{body}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(text),
            "{}",
            r.body
        );
    }
    let sm = |name: &str| {
        format!("/apis/monitoring.coreos.com/v1/namespaces/shop/servicemonitors/{name}")
    };
    assert!(fake_kube::get(&base, &sm("web")).await.is_none());
    let r = app
        .call(
            "/api/collectors/enable",
            enable("nope", "metrics", "/metrics", "30s"),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Roles: a viewer cannot change, another tenant does not see the environment.
    let r = app
        .call(
            "/api/collectors/enable",
            enable("web", "metrics", "/metrics", "15s"),
            Auth::Cookie(&victor),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .call(
            "/api/collectors/list",
            json!({"environment_id": env}),
            Auth::Cookie(&bob),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app
        .call(
            "/api/collectors/enable",
            enable("web", "metrics", "/metrics", "15s"),
            Auth::Cookie(&bob),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app
        .call(
            "/api/collectors/list",
            json!({"environment_id": other.environment}),
            Auth::Cookie(&bob),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["collectors"],
        json!([]),
        "namespace other has no services"
    );

    // Enable: the ServiceMonitor (accepted by the real CRD schema) selects exactly this Service.
    for svc in ["web", "api", "cache"] {
        let c = app
            .ok(
                "/api/collectors/enable",
                enable(svc, "metrics", "/metrics", "15s"),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(c["config"]["interval"], "15s");
    }
    let monitor = fake_kube::get(&base, &sm("web"))
        .await
        .expect("ServiceMonitor shop/web");
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"],
        json!({"app": "web", "tier": "backend", "gemscope.io/collect": "web"})
    );
    assert_eq!(
        monitor["spec"]["namespaceSelector"],
        json!({"matchNames": ["shop"]})
    );
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{"port": "metrics", "path": "/metrics", "interval": "15s"}]),
        "honorLabels stays off"
    );
    assert_eq!(
        monitor["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "gemscope"
    );
    let svc = fake_kube::get(&base, "/api/v1/namespaces/shop/services/web")
        .await
        .unwrap();
    assert_eq!(svc["metadata"]["labels"]["gemscope.io/collect"], "web");
    assert_eq!(svc["metadata"]["labels"]["app"], "web", "other labels stay");

    // Editing keeps one monitor and changes it.
    app.ok(
        "/api/collectors/enable",
        enable("web", "http", "/stats", "30s"),
        Auth::Cookie(&alice),
    )
    .await;
    let monitor = fake_kube::get(&base, &sm("web")).await.unwrap();
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{"port": "http", "path": "/stats", "interval": "30s"}])
    );

    // A ServiceMonitor Gemscope did not write is not taken over, nor deleted.
    for path in ["/api/collectors/enable", "/api/collectors/disable"] {
        let r = app
            .call(
                path,
                enable("legacy", "metrics", "/metrics", "30s"),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(r.status, 409, "{path}: {}", r.body);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("not managed by Gemscope"),
            "{}",
            r.body
        );
    }
    assert!(fake_kube::get(&base, &sm("legacy")).await.unwrap()["metadata"]["labels"].is_null());

    // Scrape states come from Prometheus' active targets: up, down, and unknown while missing.
    let deadline = Instant::now() + Duration::from_secs(30);
    let l = loop {
        let l = list(&victor).await;
        if row(&l, "web")["health"] == "up" && row(&l, "api")["health"] == "down" {
            break l;
        }
        assert!(
            Instant::now() < deadline,
            "scrape states never settled: {l}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(l["status_error"], Value::Null);
    assert_eq!(row(&l, "web")["config"]["path"], "/stats");
    let web_target = &row(&l, "web")["targets"][0];
    assert_eq!(web_target["url"], format!("http://{prom_host}/metrics"));
    assert!(!web_target["last_scrape"].as_str().unwrap().is_empty());
    let api_target = &row(&l, "api")["targets"][0];
    assert!(
        api_target["last_error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{api_target}"
    );
    assert_eq!(
        row(&l, "cache")["health"],
        "unknown",
        "no target yet is not down"
    );
    assert_eq!(row(&l, "cache")["targets"], json!([]));

    // Disable removes the monitor and the label; disabling again is fine.
    for _ in 0..2 {
        app.ok(
            "/api/collectors/disable",
            json!({"environment_id": env, "service": "web"}),
            Auth::Cookie(&alice),
        )
        .await;
    }
    assert!(fake_kube::get(&base, &sm("web")).await.is_none());
    let svc = fake_kube::get(&base, "/api/v1/namespaces/shop/services/web")
        .await
        .unwrap();
    assert!(
        svc["metadata"]["labels"]
            .get("gemscope.io/collect")
            .is_none(),
        "{svc}"
    );
    assert_eq!(row(&list(&victor).await, "web")["config"], Value::Null);

    // Audit rows carry the environment's tenant, so tenant admins see them.
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("collector."))
        .all(&app.db)
        .await
        .unwrap();
    assert!(rows.len() >= 10, "{}", rows.len());
    assert!(
        rows.iter().all(|r| r.tenant_id == Some(shop.tenant)),
        "{:?}",
        rows.iter()
            .map(|r| (&r.target, r.tenant_id))
            .collect::<Vec<_>>()
    );

    // Prometheus gone: services still list, states are unknown and the reason is shown.
    drop(stack);
    let l = list(&victor).await;
    let why = l["status_error"].as_str().unwrap();
    assert!(
        why.contains("kubegems-monitoring/prometheus:9090 answered HTTP 5"),
        "{why}"
    );
    assert_eq!(row(&l, "api")["health"], "unknown");
}

#[tokio::test]
async fn standalone_clusters_have_no_collectors() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let cluster = app
        .standalone_cluster(&admin, "vm", "http://127.0.0.1:9")
        .await;
    let e = app
        .environment(&admin, "t", ("alice", "member"), cluster, "shop")
        .await;
    let alice = app.login("alice", "alice-password").await;
    let r = app
        .call(
            "/api/collectors/list",
            json!({"environment_id": e.environment}),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("standalone"),
        "{}",
        r.body
    );
}
