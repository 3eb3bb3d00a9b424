//! Cluster connection tests against a real Prometheus and Alertmanager.

mod common;

use app::domain::am_config;
use app::model::{
    AmConfigSpec, AmMatcher, AmReceiver, AmRoute, AmWebhookConfig, NamespacedAmConfig, Rule,
    RuleFile, RuleGroup,
};
use app::model::{ClusterInput, ClusterKind, ClusterSettings};
use common::real::RealStack;
use common::{ADMIN_PW, Backend, TestApp, find_in, standalone};
use serde_json::{Value, json};
use server::clusters::error::BackendError;
use server::clusters::standalone::{FileWrite, RuleTarget, apply_file, apply_rules};

fn by<'a>(check: &'a Value, component: &str) -> &'a Value {
    find_in(check, "endpoints", "component", component)
}

/// A standalone cluster on the real stack (with `more` settings); returns the app, the admin's
/// session and the cluster's answer.
async fn local(
    stack: &RealStack,
    more: impl FnOnce(&mut ClusterSettings),
) -> (TestApp, String, Value) {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let mut settings = ClusterSettings {
        prometheus_url: stack.prometheus_url.clone(),
        alertmanager_url: stack.alertmanager_url.clone(),
        ..Default::default()
    };
    more(&mut settings);
    let created = app
        .create_cluster(&admin, standalone("local", settings))
        .await;
    (app, admin, created)
}

fn id(created: &Value) -> i64 {
    created["id"].as_i64().expect("cluster id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_reports_real_versions_and_an_optional_loki_and_is_stored() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    // Nothing listens on the Loki port: bind and release one.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (app, admin, created) =
        local(&stack, |s| s.loki_url = format!("http://127.0.0.1:{dead}")).await;
    assert_eq!(created["last_check"], Value::Null, "never tested yet");
    let check = app.test_cluster(id(&created), &admin).await;
    let prom = by(&check, "prometheus");
    assert_eq!(prom["ok"], true, "{check}");
    assert!(
        prom["version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2."),
        "{prom}"
    );
    let am = by(&check, "alertmanager");
    assert_eq!(am["ok"], true, "{check}");
    assert!(
        am["version"].as_str().unwrap_or_default().starts_with("0."),
        "{am}"
    );
    let loki = by(&check, "loki");
    assert_eq!(loki["ok"], false);
    assert_eq!(loki["optional"], true);
    assert!(!loki["error"].as_str().unwrap_or_default().is_empty());
    assert_eq!(
        check["reachable"], true,
        "Loki is optional: its failure is shown but the cluster stays reachable"
    );
    // The result is stored and comes back with the cluster.
    let listed = app.get_cluster(id(&created), &admin).await;
    assert_eq!(listed["last_check"], check);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_whose_prometheus_stopped_is_unreachable() {
    let Some(mut stack) = RealStack::start() else {
        return;
    };
    let (app, admin, created) = local(&stack, |_| {}).await;
    let healthy = app.test_cluster(id(&created), &admin).await;
    assert_eq!(healthy["reachable"], true, "{healthy}");
    stack.stop_prometheus();
    let down = app.test_cluster(id(&created), &admin).await;
    assert_eq!(down["reachable"], false, "{down}");
    assert_eq!(by(&down, "prometheus")["ok"], false);
    assert_eq!(by(&down, "alertmanager")["ok"], true);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubernetes_cluster_without_a_kubeconfig_is_never_reachable() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let kubernetes = ClusterInput {
        name: "k8s".into(),
        kind: ClusterKind::Kubernetes,
        settings: ClusterSettings {
            prometheus_url: stack.alertmanager_url.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let k = app.create_cluster(&admin, kubernetes).await;
    let kc = app.test_cluster(id(&k), &admin).await;
    assert_eq!(kc["reachable"], false);
    let api = by(&kc, "kubernetes");
    assert_eq!(api["ok"], false);
    let error = api["error"].as_str().unwrap_or_default();
    assert!(error.contains("kubeconfig"), "{api}");
    app.cleanup().await;
}

/// The rule groups a real Prometheus has loaded, by name.
async fn loaded_groups(prometheus: &str) -> Vec<String> {
    let body: Value = reqwest::get(format!("{prometheus}/api/v1/rules"))
        .await
        .expect("Prometheus answers")
        .json()
        .await
        .expect("JSON");
    body["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str().map(String::from))
        .collect()
}

/// A cluster whose rule files, Loki rule files and alertmanager.yml are the stack's.
async fn preparable(stack: &RealStack) -> (TestApp, String, i64, std::path::PathBuf) {
    let rules_dir = stack.dir.path().join("rules");
    let (app, admin, created) = local(stack, |s| {
        s.rules_dir = rules_dir.display().to_string();
        s.loki_rules_dir = stack.dir.path().join("loki-rules").display().to_string();
        s.alertmanager_config_path = stack
            .dir
            .path()
            .join("alertmanager.yml")
            .display()
            .to_string();
    })
    .await;
    let file = rules_dir.join("gemscope-recording-rules.yml");
    (app, admin, id(&created), file)
}

fn outcomes(r: &Value) -> Vec<String> {
    r.as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["outcome"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_writes_files_the_real_prometheus_and_alertmanager_load() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (app, admin, id, file) = preparable(&stack).await;
    let before = app.test_cluster(id, &admin).await;
    let prepared = before["prepared"].as_array().cloned().unwrap_or_default();
    assert!(prepared.iter().all(|p| p["current"] == false), "{before}");
    let first = app.prepare_cluster(id, &admin).await;
    assert_eq!(
        outcomes(&first),
        ["written"; 3],
        "prometheus, loki and alertmanager: {first}"
    );
    assert!(
        loaded_groups(&stack.prometheus_url)
            .await
            .contains(&"gems-node".to_string())
    );
    let status: Value = reqwest::get(format!("{}/api/v2/status", stack.alertmanager_url))
        .await
        .expect("Alertmanager answers")
        .json()
        .await
        .expect("JSON");
    let loaded = status["config"]["original"].as_str().unwrap_or_default();
    assert!(loaded.contains("gems_alertname"), "{loaded}");
    // promtool agrees the file is valid.
    let out = std::process::Command::new("/usr/bin/promtool")
        .arg("check")
        .arg("rules")
        .arg(&file)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preparing_again_rewrites_nothing_and_shows_everything_current() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (app, admin, id, file) = preparable(&stack).await;
    app.prepare_cluster(id, &admin).await;
    let modified = || std::fs::metadata(&file).and_then(|m| m.modified()).ok();
    let mtime = modified();
    let again = app.prepare_cluster(id, &admin).await;
    assert_eq!(outcomes(&again), ["unchanged"; 3], "{again}");
    assert!(mtime.is_some());
    assert_eq!(modified(), mtime, "an unchanged file is not rewritten");
    let after = app.test_cluster(id, &admin).await;
    for item in after["prepared"].as_array().into_iter().flatten() {
        assert_eq!(
            (item["present"].clone(), item["current"].clone()),
            (json!(true), json!(true)),
            "{item}"
        );
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_file_edited_by_hand_shows_outdated_and_prepare_writes_it_back() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let (app, admin, id, file) = preparable(&stack).await;
    app.prepare_cluster(id, &admin).await;
    std::fs::write(&file, "groups: []\n").expect("write");
    let drift = app.test_cluster(id, &admin).await;
    let prom_item = find_in(&drift, "prepared", "target", "prometheus");
    assert_eq!(
        (prom_item["present"].clone(), prom_item["current"].clone()),
        (json!(true), json!(false))
    );
    let repaired = app.prepare_cluster(id, &admin).await;
    assert!(
        outcomes(&repaired).iter().any(|o| o == "written"),
        "{repaired}"
    );
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(text.contains("gems"), "{text}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_rule_file_is_refused_by_real_prometheus_and_rolled_back() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let dir = stack.dir.path().join("rules").display().to_string();
    let target = RuleTarget {
        dir: &dir,
        name: "team",
        reload: Some(&stack.prometheus_url),
    };
    let good = RuleFile {
        groups: vec![RuleGroup {
            name: "team-good".into(),
            interval: None,
            rules: vec![Rule::record("team_up", "sum(up)")],
        }],
    };
    assert_eq!(
        apply_rules(&http, &target, &good).await.unwrap(),
        FileWrite::Written
    );
    assert_eq!(
        loaded_groups(&stack.prometheus_url).await,
        vec!["team-good".to_string()]
    );

    let broken = RuleFile {
        groups: vec![RuleGroup {
            name: "team-broken".into(),
            interval: None,
            rules: vec![Rule::record("team_bad", "sum(up")],
        }],
    };
    let err = apply_rules(&http, &target, &broken).await.unwrap_err();
    assert!(matches!(err, BackendError::ReloadRefused { .. }), "{err}");
    assert!(err.to_string().starts_with("reload refused ("), "{err}");
    let on_disk = std::fs::read_to_string(target.path().unwrap()).unwrap();
    assert!(
        on_disk.contains("team-good") && !on_disk.contains("team-broken"),
        "rolled back: {on_disk}"
    );
    assert_eq!(
        loaded_groups(&stack.prometheus_url).await,
        vec!["team-good".to_string()],
        "old rules still loaded"
    );
}

#[test]
fn local_stack_prometheus_config_passes_promtool() {
    if !std::path::Path::new("/usr/bin/promtool").exists() {
        assert_ne!(
            std::env::var("GEMSCOPE_TEST_REQUIRE_REAL").as_deref(),
            Ok("1"),
            "promtool missing"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    let file = dir.path().join("prometheus.yml");
    std::fs::write(
        &file,
        server::local_stack::prometheus_config(dir.path(), "127.0.0.1:3000", "box1"),
    )
    .unwrap();
    let out = std::process::Command::new("/usr/bin/promtool")
        .arg("check")
        .arg("config")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_alertmanager_config_passes_amtool_and_real_alertmanager_loads_it() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let team = NamespacedAmConfig {
        namespace: "demo".into(),
        name: "cpu-high".into(),
        spec: AmConfigSpec {
            route: Some(AmRoute {
                receiver: "hook".into(),
                matchers: vec![AmMatcher::eq("gems_alertname", "cpu-high")],
                ..Default::default()
            }),
            receivers: vec![AmReceiver {
                name: "hook".into(),
                webhook_configs: vec![AmWebhookConfig {
                    url: "http://127.0.0.1:9/hook".into(),
                    url_secret: None,
                    send_resolved: Some(true),
                }],
            }],
            inhibit_rules: vec![],
        },
    };
    let yaml = am_config::merge(&am_config::global_spec(), &[team]).unwrap();
    let path = stack.dir.path().join("alertmanager.yml");
    let check = stack.dir.path().join("check.yml");
    std::fs::write(&check, &yaml).unwrap();
    let out = std::process::Command::new("/usr/bin/amtool")
        .arg("check-config")
        .arg(&check)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        apply_file(&http, &path, &yaml, Some(&stack.alertmanager_url))
            .await
            .unwrap(),
        FileWrite::Written
    );
    let status: serde_json::Value =
        reqwest::get(format!("{}/api/v2/status", stack.alertmanager_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let loaded = status["config"]["original"].as_str().unwrap();
    assert!(loaded.contains("demo/cpu-high/hook"), "{loaded}");
    assert_eq!(
        apply_file(&http, &path, &yaml, Some(&stack.alertmanager_url))
            .await
            .unwrap(),
        FileWrite::Unchanged
    );

    // A config Alertmanager refuses is rolled back, and the loaded one stays.
    let broken = "route:\n  receiver: missing\nreceivers:\n  - name: other\n";
    let err = apply_file(&http, &path, broken, Some(&stack.alertmanager_url))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::ReloadRefused { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), yaml);
    let status: serde_json::Value =
        reqwest::get(format!("{}/api/v2/status", stack.alertmanager_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(
        status["config"]["original"]
            .as_str()
            .unwrap()
            .contains("demo/cpu-high/hook")
    );
}
