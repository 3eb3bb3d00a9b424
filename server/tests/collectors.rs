//! Metric collectors on a Kubernetes cluster (the fake API server of `testkit`, which checks
//! ServiceMonitors against the real CRD schema) with a real Prometheus reporting scrape states.

mod common;

use std::time::{Duration, Instant};

use app::api::collectors::{DisableCollector, EnableCollector, ListCollectors};
use app::api::tenancy::SetMember;
use app::model::{ClusterInput, ClusterKind, CollectorConfig, Role};
use common::fake_kube::{self, install_monitoring, kubeconfig};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, Reply, TestApp};
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
        .and_then(|c| c.iter().find(|c| c["service"] == svc))
        .unwrap_or_else(|| panic!("no collector {svc} in {list}"))
}

fn sm(name: &str) -> String {
    format!("/apis/monitoring.coreos.com/v1/namespaces/shop/servicemonitors/{name}")
}

const WEB_SERVICE: &str = "/api/v1/namespaces/shop/services/web";

/// Namespace `shop` of a Kubernetes cluster with Services web, api, cache, legacy (ports
/// `metrics` and `http`) and db (an unnamed port), somebody else's ServiceMonitor `legacy`, and
/// the scrape jobs prometheus-operator would make: web scrapes Prometheus itself (up), api a
/// closed port (down). Alice is a member, victor a viewer; bob is a member of another tenant
/// with namespace `other`.
struct Collect {
    app: TestApp,
    base: String,
    alice: String,
    victor: String,
    bob: String,
    env: i64,
    tenant: i64,
    other: i64,
    prom_host: String,
    stack: Option<RealStack>,
    _api_server: tokio::task::JoinHandle<()>,
}

async fn collect() -> Option<Collect> {
    let stack = RealStack::start()?;
    let (addr, _fake, api_server) = fake_kube::start().await;
    let base = format!("http://{addr}");
    install_monitoring(&base, &stack).await;
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
    fake_kube::create(&base, "/api/v1/namespaces", namespace).await;
    let svcs = "/api/v1/namespaces/shop/services";
    let ports = json!([{"name": "metrics", "port": 9100, "targetPort": 9100}, {"name": "http", "port": 80}]);
    for name in ["web", "api", "cache", "legacy"] {
        fake_kube::create(&base, svcs, service(name, ports.clone())).await;
    }
    fake_kube::create(&base, svcs, service("db", json!([{"port": 5432}]))).await;
    fake_kube::create(
        &base,
        "/apis/monitoring.coreos.com/v1/namespaces/shop/servicemonitors",
        json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "legacy"},
            "spec": {"selector": {"matchLabels": {"app": "legacy"}}, "endpoints": [{"port": "metrics"}]}}),
    )
    .await;
    let prom_host = stack
        .prometheus_url
        .trim_start_matches("http://")
        .to_string();
    stack
        .add_scrape_configs(&format!(
            "  - job_name: serviceMonitor/shop/web/0\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{prom_host}']\n  - job_name: serviceMonitor/shop/api/0\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:1']\n"
        ))
        .await;

    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    for user in ["alice", "victor", "bob"] {
        app.create_user(&admin, user, &format!("{user}-password"))
            .await;
    }
    let cluster = ClusterInput {
        name: "prod".into(),
        kind: ClusterKind::Kubernetes,
        kubeconfig: Some(kubeconfig(addr, fake_kube::TOKEN)),
        ..Default::default()
    };
    let cluster = app.create_cluster(&admin, cluster).await["id"]
        .as_i64()
        .expect("cluster id");
    let shop = app
        .environment(&admin, "shop-team", ("alice", "member"), cluster, "shop")
        .await;
    let set = SetMember {
        tenant_id: shop.tenant,
        username: "victor".into(),
        role: Role::Viewer,
    };
    app.fun_ok(set, Auth::Cookie(&admin)).await;
    let other = app
        .environment(&admin, "db-team", ("bob", "member"), cluster, "other")
        .await;
    Some(Collect {
        alice: app.login("alice", "alice-password").await,
        victor: app.login("victor", "victor-password").await,
        bob: app.login("bob", "bob-password").await,
        app,
        base,
        env: shop.environment,
        tenant: shop.tenant,
        other: other.environment,
        prom_host,
        stack: Some(stack),
        _api_server: api_server,
    })
}

fn config(port: &str, path: &str, interval: &str) -> CollectorConfig {
    CollectorConfig {
        port: port.into(),
        path: path.into(),
        interval: interval.into(),
    }
}

impl Collect {
    async fn list(&self, who: &str) -> Reply {
        let list = ListCollectors {
            environment_id: self.env,
        };
        self.app.fun(list, Auth::Cookie(who)).await
    }

    async fn listed(&self) -> Value {
        let r = self.list(&self.victor).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    async fn enable(&self, who: &str, service: &str, config: CollectorConfig) -> Reply {
        let enable = EnableCollector {
            environment_id: self.env,
            service: service.into(),
            config,
        };
        self.app.fun(enable, Auth::Cookie(who)).await
    }

    async fn enabled(&self, service: &str, config: CollectorConfig) -> Value {
        let r = self.enable(&self.alice, service, config).await;
        assert_eq!(r.status, 200, "{service}: {}", r.body);
        r.body
    }

    async fn disable(&self, service: &str) -> Reply {
        let disable = DisableCollector {
            environment_id: self.env,
            service: service.into(),
        };
        self.app.fun(disable, Auth::Cookie(&self.alice)).await
    }

    async fn get(&self, path: &str) -> Option<Value> {
        fake_kube::get(&self.base, path).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_shows_the_namespaces_services_and_their_named_ports() {
    let Some(c) = collect().await else { return };
    let l = c.listed().await;
    assert_eq!(l["namespace"], "shop");
    let names: Vec<&str> = l["collectors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["service"].as_str())
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
    assert_eq!(
        row(&l, "web")["config"],
        Value::Null,
        "nothing collected yet"
    );
    assert_eq!(row(&l, "legacy")["config"], Value::Null, "not ours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_collector_input_names_its_field_and_writes_nothing() {
    let Some(c) = collect().await else { return };
    let cases = [
        (
            "web",
            config("grpc", "/metrics", "30s"),
            "port",
            "it has: metrics, http",
        ),
        (
            "web",
            config("metrics", "metrics", "30s"),
            "path",
            "start with /",
        ),
        (
            "web",
            config("metrics", "/metrics", "often"),
            "interval",
            "duration",
        ),
        ("db", config("", "/metrics", "30s"), "port", "choose"),
        (
            "Web!",
            config("metrics", "/metrics", "30s"),
            "service",
            "lowercase",
        ),
    ];
    for (service, config, field, text) in cases {
        let what = format!("{service} {config:?}");
        let r = c.enable(&c.alice, service, config).await;
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        assert_eq!(r.body["field"], field, "{what}: {}", r.body);
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{what}: {}", r.body);
    }
    assert!(c.get(&sm("web")).await.is_none());
    let r = c
        .enable(&c.alice, "nope", config("metrics", "/metrics", "30s"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_cannot_enable_and_another_tenant_does_not_see_the_environment() {
    let Some(c) = collect().await else { return };
    let web = || config("metrics", "/metrics", "15s");
    let r = c.enable(&c.victor, "web", web()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(c.list(&c.bob).await.status, 404);
    assert_eq!(c.enable(&c.bob, "web", web()).await.status, 404);
    let own = ListCollectors {
        environment_id: c.other,
    };
    let r = c.app.fun(own, Auth::Cookie(&c.bob)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["collectors"],
        json!([]),
        "namespace other has no services"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_writes_one_service_monitor_that_selects_exactly_the_service() {
    let Some(c) = collect().await else { return };
    let enabled = c.enabled("web", config("metrics", "/metrics", "15s")).await;
    assert_eq!(enabled["config"]["interval"], "15s");
    let monitor = c.get(&sm("web")).await.expect("ServiceMonitor shop/web");
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
    let svc = c.get(WEB_SERVICE).await.expect("the Service");
    assert_eq!(svc["metadata"]["labels"]["gemscope.io/collect"], "web");
    assert_eq!(svc["metadata"]["labels"]["app"], "web", "other labels stay");
    // Editing keeps one monitor and changes it.
    c.enabled("web", config("http", "/stats", "30s")).await;
    let monitor = c.get(&sm("web")).await.expect("ServiceMonitor shop/web");
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{"port": "http", "path": "/stats", "interval": "30s"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_monitor_gemscope_did_not_write_is_neither_taken_over_nor_deleted() {
    let Some(c) = collect().await else { return };
    let answers = [
        (
            "enable",
            c.enable(&c.alice, "legacy", config("metrics", "/metrics", "30s"))
                .await,
        ),
        ("disable", c.disable("legacy").await),
    ];
    for (what, r) in answers {
        assert_eq!(r.status, 409, "{what}: {}", r.body);
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("not managed by Gemscope"), "{}", r.body);
    }
    let legacy = c.get(&sm("legacy")).await.expect("still there");
    assert!(legacy["metadata"]["labels"].is_null(), "{legacy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_states_come_from_prometheus_active_targets() {
    let Some(c) = collect().await else { return };
    for svc in ["web", "api", "cache"] {
        c.enabled(svc, config("metrics", "/metrics", "15s")).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let l = loop {
        let l = c.listed().await;
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
    let web = &row(&l, "web")["targets"][0];
    assert_eq!(web["url"], format!("http://{}/metrics", c.prom_host));
    assert!(!web["last_scrape"].as_str().unwrap_or_default().is_empty());
    let api = &row(&l, "api")["targets"][0];
    let error = api["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("connection refused"), "{api}");
    assert_eq!(
        row(&l, "cache")["health"],
        "unknown",
        "no target yet is not down"
    );
    assert_eq!(row(&l, "cache")["targets"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_removes_the_monitor_and_the_label_and_may_be_repeated() {
    let Some(c) = collect().await else { return };
    c.enabled("web", config("metrics", "/metrics", "15s")).await;
    for _ in 0..2 {
        let r = c.disable("web").await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert!(c.get(&sm("web")).await.is_none());
    let svc = c.get(WEB_SERVICE).await.expect("the Service");
    assert!(
        svc["metadata"]["labels"]
            .get("gemscope.io/collect")
            .is_none(),
        "{svc}"
    );
    assert_eq!(row(&c.listed().await, "web")["config"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_audit_rows_carry_the_environments_tenant() {
    let Some(c) = collect().await else { return };
    c.enabled("web", config("metrics", "/metrics", "15s")).await;
    c.enable(&c.alice, "web", config("grpc", "/metrics", "15s"))
        .await;
    c.disable("web").await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("collector."))
        .all(&c.app.db)
        .await
        .expect("audit rows");
    assert!(rows.len() >= 3, "{}", rows.len());
    let tenants: Vec<(&str, Option<i64>)> = rows
        .iter()
        .map(|r| (r.target.as_str(), r.tenant_id))
        .collect();
    assert!(
        rows.iter().all(|r| r.tenant_id == Some(c.tenant)),
        "{tenants:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_prometheus_the_services_still_list_with_unknown_states_and_the_reason() {
    let Some(mut c) = collect().await else { return };
    c.enabled("api", config("metrics", "/metrics", "15s")).await;
    drop(c.stack.take());
    let l = c.listed().await;
    let why = l["status_error"].as_str().unwrap_or_default();
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
    let list = ListCollectors {
        environment_id: e.environment,
    };
    let r = app.fun(list, Auth::Cookie(&alice)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(message.contains("standalone"), "{}", r.body);
}
