//! The Kubernetes backend against the fake API server of `testkit` (which answers as the recorded
//! kube-apiserver 1.36 does), with Prometheus and Alertmanager real and reached through the
//! API server's service proxy.

mod common;

use std::collections::BTreeMap;

use app::api::clusters::{ListClusters, UpdateCluster};
use app::model::{ClusterInput, ClusterKind};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp, find_in};

/// The Kubernetes cluster `prod`, without credentials.
fn prod() -> ClusterInput {
    ClusterInput {
        name: "prod".into(),
        kind: ClusterKind::Kubernetes,
        ..Default::default()
    }
}
use serde_json::{Value, json};
use server::clusters::kube::crds::{self, Crd, Object};
use testkit::kube::catalog::Catalog;
use testkit::kube::validate;

use common::fake_kube::{TOKEN, install_monitoring, kubeconfig};

fn endpoint<'a>(check: &'a Value, component: &str) -> &'a Value {
    find_in(check, "endpoints", "component", component)
}

fn outcome(r: &Value, target: &str) -> Value {
    find_in(r, "", "target", target).clone()
}

/// A Kubernetes cluster on the fake API server (monitoring plugin installed in front of the
/// real stack, no logging namespace yet), registered with its kubeconfig.
struct Kube {
    app: TestApp,
    admin: String,
    id: i64,
    base: String,
    created: Value,
    fake: testkit::kube::Shared,
    api_server: tokio::task::JoinHandle<()>,
    _stack: RealStack,
}

async fn kube() -> Option<Kube> {
    let stack = RealStack::start()?;
    let (addr, fake, api_server) = testkit::kube::serve(
        "127.0.0.1:0".parse().expect("address"),
        testkit::kube::Options {
            token: Some(TOKEN.into()),
            ..Default::default()
        },
    )
    .await
    .expect("the fake API server");
    let base = format!("http://{addr}");
    install_monitoring(&base, &stack).await;
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = ClusterInput {
        kubeconfig: Some(kubeconfig(addr, TOKEN)),
        ..prod()
    };
    let created = app.create_cluster(&admin, cluster).await;
    let id = created["id"].as_i64().expect("cluster id");
    Some(Kube {
        app,
        admin,
        id,
        base,
        created,
        fake,
        api_server,
        _stack: stack,
    })
}

impl Kube {
    async fn test(&self) -> Value {
        self.app.test_cluster(self.id, &self.admin).await
    }

    async fn prepare(&self) -> Value {
        self.app.prepare_cluster(self.id, &self.admin).await
    }

    fn http(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.http(reqwest::Method::GET, path).send().await;
        r.expect("the fake answers").json().await.expect("JSON")
    }

    async fn logging_namespace(&self) {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubegems-logging"}});
        let r = self
            .http(reqwest::Method::POST, "/api/v1/namespaces")
            .json(&ns)
            .send()
            .await;
        assert!(r.expect("the fake answers").status().is_success());
    }

    /// Sets the cluster's bearer token (an empty one clears it).
    async fn token(&self, bearer_token: &str) -> Value {
        let update = UpdateCluster {
            cluster_id: self.id,
            cluster: ClusterInput {
                bearer_token: Some(bearer_token.into()),
                ..prod()
            },
        };
        self.app.fun_ok(update, Auth::Cookie(&self.admin)).await
    }
}

const RECORDING_RULES: &str = "/apis/monitoring.coreos.com/v1/namespaces/kubegems-monitoring/prometheusrules/gemscope-recording-rules";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_reports_each_component_through_the_api_server_and_its_crds() {
    let Some(k) = kube().await else { return };
    assert_eq!(k.created["has_kubeconfig"], true);
    assert!(
        k.created.get("kubeconfig").is_none(),
        "secrets never come back"
    );
    let check = k.test().await;
    let api = endpoint(&check, "kubernetes");
    assert_eq!(api["ok"], true, "{check}");
    assert_eq!(api["version"], "v0.0.0-master+$Format:%H$");
    let prom = endpoint(&check, "prometheus");
    assert_eq!(prom["ok"], true, "{check}");
    assert_eq!(prom["via"], "service proxy");
    assert_eq!(prom["url"], "kubegems-monitoring/prometheus:9090");
    let version = prom["version"].as_str().unwrap_or_default();
    assert!(version.starts_with("2."), "{prom}");
    assert_eq!(endpoint(&check, "alertmanager")["ok"], true, "{check}");
    // The logging plugin is not installed: Loki's default service is missing, which is shown
    // with the API server's own words, and is not fatal.
    let loki = endpoint(&check, "loki");
    assert_eq!(loki["ok"], false);
    assert_eq!(loki["optional"], true);
    let error = loki["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("namespaces \"kubegems-logging\" not found")
            || error.contains("services \"loki-gateway\" not found"),
        "{loki}"
    );
    assert_eq!(check["reachable"], true, "{check}");
    let crd = |kind: &str| find_in(&check, "crds", "kind", kind).clone();
    assert_eq!(crd("PrometheusRule")["versions"], json!(["v1"]));
    assert_eq!(
        crd("AlertmanagerConfig")["versions"],
        json!(["v1beta1", "v1alpha1"])
    );
    assert_eq!(crd("Flow")["group"], "logging.banzaicloud.io");
    let outputs = crd("ClusterOutput")["versions"].as_array().map(Vec::len);
    assert!(outputs.unwrap_or_default() > 0);
    let missing = check["prepared"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["present"] == false)
        .count();
    assert_eq!(missing, 3, "nothing prepared yet: {check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_writes_the_monitoring_objects_and_says_why_the_loki_rules_failed() {
    let Some(k) = kube().await else { return };
    // The logging namespace does not exist, so the Loki rules fail and say why; the monitoring
    // objects are written and accepted by the real CRD schemas.
    let first = k.prepare().await;
    assert_eq!(
        outcome(&first, "prometheus")["outcome"],
        "written",
        "{first}"
    );
    assert_eq!(
        outcome(&first, "alertmanager")["outcome"],
        "written",
        "{first}"
    );
    let loki_rules = outcome(&first, "loki");
    assert_eq!(loki_rules["outcome"], "failed");
    let detail = loki_rules["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("kubegems-logging"), "{loki_rules}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preparing_again_changes_nothing_and_writes_only_what_became_possible() {
    let Some(k) = kube().await else { return };
    k.prepare().await;
    k.logging_namespace().await;
    let before = k.get(RECORDING_RULES).await;
    let second = k.prepare().await;
    assert_eq!(
        outcome(&second, "prometheus")["outcome"],
        "unchanged",
        "{second}"
    );
    assert_eq!(
        outcome(&second, "alertmanager")["outcome"],
        "unchanged",
        "{second}"
    );
    assert_eq!(outcome(&second, "loki")["outcome"], "written", "{second}");
    let after = k.get(RECORDING_RULES).await;
    assert_eq!(
        before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"],
        "applying the same object again changes nothing"
    );
    assert_eq!(after["metadata"]["managedFields"][0]["manager"], "gemscope");
    assert_eq!(
        after["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "gemscope"
    );
    assert!(after["metadata"]["labels"]["prometheusrule.kubegems.io/name"].is_string());
    let prepared = k.test().await;
    for p in prepared["prepared"].as_array().into_iter().flatten() {
        assert_eq!(p["current"], true, "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_rules_edited_by_hand_are_shown_outdated() {
    let Some(k) = kube().await else { return };
    k.prepare().await;
    let hand_made = json!({"spec": {"groups": [{"name": "hand-made", "rules": [{"record": "x", "expr": "1"}]}]}});
    let edited = k
        .http(reqwest::Method::PATCH, RECORDING_RULES)
        .header("content-type", "application/merge-patch+json")
        .body(hand_made.to_string())
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(edited.status(), 200);
    let drifted = k.test().await;
    let rules = find_in(&drifted, "prepared", "target", "prometheus");
    assert_eq!(
        (rules["present"].clone(), rules["current"].clone()),
        (json!(true), json!(false))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_shows_the_api_servers_401() {
    let Some(k) = kube().await else { return };
    let wrong = k.token("nope").await;
    assert_eq!(wrong["has_bearer_token"], true);
    let denied = k.test().await;
    assert_eq!(denied["reachable"], false);
    let error = endpoint(&denied, "kubernetes")["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("401"), "{denied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_that_went_away_is_unreachable_with_the_connection_error() {
    let Some(mut k) = kube().await else { return };
    assert_eq!(k.test().await["reachable"], true);
    assert!(k.fake.request_count() > 0);
    k.api_server.abort();
    let _ = (&mut k.api_server).await;
    let down = k.test().await;
    assert_eq!(down["reachable"], false, "{down}");
    let api = endpoint(&down, "kubernetes");
    assert_eq!(api["ok"], false);
    assert!(!api["error"].as_str().unwrap_or_default().is_empty());
}

/// Every kind Gemscope has a type for, built the way Gemscope builds them, fits the real CRD
/// schema of its served version: no unknown fields, right types, patterns and required fields.
#[test]
fn typed_objects_fit_the_real_crd_schemas() {
    let catalog = Catalog::load().unwrap();
    let labels = BTreeMap::from([(
        "app.kubernetes.io/managed-by".to_string(),
        "gemscope".to_string(),
    )]);
    let mut samples: Vec<Value> = Vec::new();
    let settings = app::model::ClusterSettings::default();
    for o in server::clusters::prepare::kube_objects(&settings).unwrap() {
        samples.push(o.body);
    }
    let monitor = crds::ServiceMonitorSpec {
        selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_string(), "web".to_string())])),
            ..Default::default()
        },
        namespace_selector: Some(crds::NamespaceSelector {
            match_names: vec!["demo".into()],
            any: false,
        }),
        endpoints: vec![crds::MonitorEndpoint {
            port: Some("http-metrics".into()),
            path: Some("/metrics".into()),
            interval: Some("30s".into()),
            honor_labels: Some(true),
            ..Default::default()
        }],
        job_label: None,
    };
    samples.push(
        serde_json::to_value(Object::new::<crds::ServiceMonitor>(
            "demo",
            "web",
            labels.clone(),
            monitor,
        ))
        .unwrap(),
    );
    let probe = crds::ProbeSpec {
        job_name: Some("blackbox".into()),
        prober: crds::Prober {
            url: "blackbox-exporter.kubegems-monitoring:9115".into(),
            path: Some("/probe".into()),
        },
        module: Some("http_2xx".into()),
        interval: Some("30s".into()),
        targets: crds::ProbeTargets {
            static_config: Some(crds::StaticConfig {
                targets: vec!["https://example.com".into()],
                labels: BTreeMap::from([("team".to_string(), "web".to_string())]),
            }),
        },
    };
    samples.push(
        serde_json::to_value(Object::new::<crds::Probe>(
            "demo",
            "site",
            labels.clone(),
            probe,
        ))
        .unwrap(),
    );
    let flow = crds::FlowSpec {
        filters: vec![
            json!({"prometheus": {"metrics": [{"name": "gems_logs_total", "type": "counter", "desc": "log lines"}]}}),
        ],
        matches: vec![crds::FlowMatch {
            select: Some(crds::FlowSelect {
                labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
                container_names: vec!["app".into()],
                hosts: vec![],
            }),
            exclude: None,
        }],
        local_output_refs: vec!["demo-loki".into()],
        global_output_refs: vec!["kubegems-container-console-output".into()],
    };
    samples.push(
        serde_json::to_value(Object::new::<crds::Flow>(
            "demo",
            "web",
            labels.clone(),
            flow.clone(),
        ))
        .unwrap(),
    );
    samples.push(
        serde_json::to_value(Object::new::<crds::ClusterFlow>(
            "kubegems-logging",
            "all",
            labels.clone(),
            crds::FlowSpec {
                local_output_refs: vec![],
                ..flow
            },
        ))
        .unwrap(),
    );
    let output = crds::OutputSpec {
        loki: Some(crds::LokiOutput {
            url: "http://loki-gateway.kubegems-logging:3100".into(),
            configure_kubernetes_labels: Some(true),
            extract_kubernetes_labels: Some(true),
            remove_keys: vec!["kubernetes".into()],
            labels: BTreeMap::from([("stream".to_string(), "stream".to_string())]),
            buffer: Some(crds::Buffer {
                timekey: Some("1m".into()),
                timekey_wait: Some("30s".into()),
                timekey_use_utc: Some(true),
                flush_interval: Some("5s".into()),
            }),
        }),
    };
    samples.push(
        serde_json::to_value(Object::new::<crds::Output>(
            "demo",
            "demo-loki",
            labels.clone(),
            output.clone(),
        ))
        .unwrap(),
    );
    samples.push(
        serde_json::to_value(Object::new::<crds::ClusterOutput>(
            "kubegems-logging",
            "console",
            labels,
            output,
        ))
        .unwrap(),
    );

    let mut kinds = Vec::new();
    for sample in &samples {
        let (api_version, kind) = (
            sample["apiVersion"].as_str().unwrap(),
            sample["kind"].as_str().unwrap(),
        );
        if kind == "ConfigMap" {
            continue;
        }
        let res = catalog
            .by_api_version(api_version, kind)
            .unwrap_or_else(|| panic!("no CRD serves {api_version} {kind}"));
        let problems = validate::check(res.schema.as_ref().unwrap(), sample);
        assert!(problems.is_empty(), "{kind}: {problems:?}\n{sample}");
        kinds.push(kind.to_string());
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "AlertmanagerConfig",
            "ClusterFlow",
            "ClusterOutput",
            "Flow",
            "Output",
            "Probe",
            "PrometheusRule",
            "ServiceMonitor"
        ]
    );
    // The check itself bites: a typo'd field is refused.
    let mut broken = samples[0].clone();
    broken["spec"]["groups"][0]["rules"][0]["forr"] = json!("1m");
    let res = catalog
        .by_api_version("monitoring.coreos.com/v1", "PrometheusRule")
        .unwrap();
    assert!(!validate::check(res.schema.as_ref().unwrap(), &broken).is_empty());
    assert_eq!(crds::PrometheusRule::PLURAL, "prometheusrules");
}

/// `GEMSCOPE_IN_CLUSTER=true` registers the cluster Gemscope runs in as `local`, with the pod's
/// service account. Outside a pod there is no service account, and the connection test says so
/// instead of pretending.
#[tokio::test]
async fn in_cluster_mode_registers_local_and_reports_a_missing_service_account() {
    let app = TestApp::start(Backend::Sqlite).await;
    server::local_stack::register_in_cluster(&app.state.services, &app.db)
        .await
        .unwrap();
    // Twice is the same as once.
    server::local_stack::register_in_cluster(&app.state.services, &app.db)
        .await
        .unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let list = app.fun_ok(ListClusters {}, Auth::Cookie(&admin)).await;
    let local: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "local")
        .collect();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["kind"], "kubernetes");
    assert_eq!(local[0]["settings"]["in_cluster"], true);
    let check = app
        .test_cluster(local[0]["id"].as_i64().expect("cluster id"), &admin)
        .await;
    assert_eq!(check["reachable"], false);
    let api = endpoint(&check, "kubernetes");
    assert_eq!(api["url"], "in-cluster");
    assert!(
        api["error"].as_str().unwrap().contains("in-cluster"),
        "{api}"
    );
    app.cleanup().await;
}
