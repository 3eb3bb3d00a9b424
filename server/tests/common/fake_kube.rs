//! The fake Kubernetes API server of `testkit` set up as a cluster with the monitoring plugin.

use serde_json::{Value, json};

use super::real::RealStack;
use super::{Auth, TestApp};

pub const TOKEN: &str = "s3cret-token";

pub fn kubeconfig(addr: std::net::SocketAddr, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\nusers:\n- name: gemscope\n  user:\n    token: {token}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: gemscope\ncurrent-context: fake\n"
    )
}

/// Sets up what the KubeGems monitoring plugin leaves in a cluster: its namespace and the
/// Prometheus and Alertmanager services, whose endpoints are the real servers.
pub async fn install_monitoring(base: &str, stack: &RealStack) {
    let http = reqwest::Client::new();
    let send = |path: String, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let r = send(
        "/api/v1/namespaces".into(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubegems-monitoring"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    for (name, port, url) in [
        ("prometheus", 9090, &stack.prometheus_url),
        ("alertmanager", 9093, &stack.alertmanager_url),
    ] {
        let target: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"name": "web", "port": port, "targetPort": target}]}});
        let eps = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "web", "port": target}]}]});
        for (plural, body) in [("services", svc), ("endpoints", eps)] {
            let r = send(
                format!("/api/v1/namespaces/kubegems-monitoring/{plural}"),
                body,
            )
            .await
            .unwrap();
            assert_eq!(r.status(), 201, "{plural}");
        }
    }
}

/// POSTs an object to the fake as the admin token; panics unless it is created.
pub async fn create(base: &str, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(
        status,
        201,
        "{path}: {}",
        r.text().await.unwrap_or_default()
    );
}

/// Creates namespaces on the fake.
pub async fn namespaces(base: &str, names: &[&str]) {
    for ns in names {
        create(
            base,
            "/api/v1/namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        )
        .await;
    }
}

/// Registers the fake at `addr` as the Kubernetes cluster `prod`; returns its id.
pub async fn register(app: &TestApp, admin: &str, addr: std::net::SocketAddr) -> i64 {
    let cluster = app::model::ClusterInput {
        name: "prod".into(),
        kind: app::model::ClusterKind::Kubernetes,
        kubeconfig: Some(kubeconfig(addr, TOKEN)),
        ..Default::default()
    };
    let create = app::api::clusters::CreateCluster { cluster };
    app.fun_ok(create, Auth::Cookie(admin)).await["id"]
        .as_i64()
        .expect("cluster id")
}

/// GETs an object from the fake; `None` when it does not exist.
pub async fn get(base: &str, path: &str) -> Option<Value> {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return None;
    }
    assert!(r.status().is_success(), "{path}: {}", r.status());
    Some(r.json().await.unwrap())
}

/// Starts the fake with the token, returns its base URL, its state and the serving task.
pub async fn start() -> (
    std::net::SocketAddr,
    testkit::kube::Shared,
    tokio::task::JoinHandle<()>,
) {
    let (addr, fake, task) = testkit::kube::serve(
        "127.0.0.1:0".parse().unwrap(),
        testkit::kube::Options {
            token: Some(TOKEN.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (addr, fake, task)
}

/// A fake API server (admin token [`TOKEN`]) with the monitoring plugin's services in front of
/// the real stack: its address, the fake (for faults and counters), the serving task, and the
/// base URL.
pub async fn serve_monitored(
    stack: &RealStack,
) -> (
    std::net::SocketAddr,
    testkit::kube::Shared,
    tokio::task::JoinHandle<()>,
    String,
) {
    let (addr, fake, task) = testkit::kube::serve(
        "127.0.0.1:0".parse().expect("address"),
        testkit::kube::Options {
            token: Some(TOKEN.into()),
            ..Default::default()
        },
    )
    .await
    .expect("fake API server");
    let base = format!("http://{addr}");
    install_monitoring(&base, stack).await;
    (addr, fake, task, base)
}

/// A Kubernetes cluster `prod` on the fake API server in front of the real stack, with the
/// namespaces `shop` and `kubegems-logging`, registered in an app with the seeded templates whose
/// public URL is `https://gemscope.example`.
pub struct MonitoredCluster {
    pub app: TestApp,
    pub admin: String,
    pub cluster: i64,
    pub base: String,
    pub fake: testkit::kube::Shared,
    pub api_server: tokio::task::JoinHandle<()>,
    pub stack: RealStack,
}

pub async fn monitored_cluster() -> Option<MonitoredCluster> {
    let stack = RealStack::start()?;
    let (addr, fake, api_server, base) = serve_monitored(&stack).await;
    namespaces(&base, &["shop", "kubegems-logging"]).await;
    let app = TestApp::start_with(super::Backend::Sqlite, |c| {
        c.public_url = Some("https://gemscope.example".into())
    })
    .await;
    server::templates::seed(&app.db).await.expect("seed");
    let admin = app.login("admin", super::ADMIN_PW).await;
    let cluster = register(&app, &admin, addr).await;
    Some(MonitoredCluster {
        app,
        admin,
        cluster,
        base,
        fake,
        api_server,
        stack,
    })
}
