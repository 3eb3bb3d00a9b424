//! A standalone cluster whose Loki is the test stand-in (`testkit::loki`, Loki 3.4's HTTP API):
//! the connection test reaches it, "Prepare" writes Gemscope's log recording rules where its
//! ruler reads them, and the ruler evaluates them.

mod common;

use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp, find_in};
use serde_json::{Value, json};

const NS: i128 = 1_000_000_000;

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_loki_is_probed_prepared_and_evaluates_gemscope_rules() {
    // Prepare also writes Prometheus rules and reloads it, so a real one runs beside the stand-in.
    let Some(stack) = RealStack::start() else {
        return;
    };
    let rules = tempfile::tempdir().unwrap();
    let (loki_url, loki, _task) = common::loki_standin(rules.path()).await;
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    // Loki's local rule store reads `<dir>/<tenant>/`; without auth the tenant is `fake`.
    let tenant_dir = rules.path().join("fake");
    let cluster = app::model::ClusterInput {
        name: "logs".into(),
        kind: app::model::ClusterKind::Standalone,
        settings: app::model::ClusterSettings {
            prometheus_url: stack.prometheus_url.clone(),
            loki_url: loki_url.clone(),
            loki_rules_dir: tenant_dir.display().to_string(),
            rules_dir: rules.path().join("prom").display().to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    let create = app::api::clusters::CreateCluster { cluster };
    let id = app.fun_ok(create, Auth::Cookie(&admin)).await["id"]
        .as_i64()
        .expect("cluster id");

    let check = app.test_cluster(id, &admin).await;
    let endpoint = find_in(&check, "endpoints", "component", "loki");
    assert_eq!(endpoint["ok"], true, "{check}");
    assert_eq!(endpoint["version"], "3.4.6", "{endpoint}");

    let prepared = app.prepare_cluster(id, &admin).await;
    let loki_item = prepared
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"] == "loki")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(loki_item["outcome"], "written", "{prepared}");

    // The ruler lists the file Gemscope wrote, under its file name as the namespace.
    let listed = reqwest::get(format!("{loki_url}/loki/api/v1/rules"))
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let listed: serde_norway::Value =
        serde_norway::from_str(&listed.text().await.unwrap()).unwrap();
    let (namespace, groups) = listed
        .as_mapping()
        .unwrap()
        .iter()
        .next()
        .expect("one rules namespace");
    assert!(
        namespace.as_str().unwrap().starts_with("gemscope-loki"),
        "{namespace:?}"
    );
    assert_eq!(groups[0]["name"].as_str(), Some("gems-loki"));

    // Logs arrive; the ruler evaluates Gemscope's rules without error, and their expressions
    // count error lines case-insensitively.
    let t = now_ns() - 10 * NS;
    let push = json!({"streams": [{
        "stream": {"namespace": "demo", "pod": "web-1", "container": "app", "stream": "stdout"},
        "values": [
            [(t).to_string(), "level=info msg=ok"],
            [(t + NS).to_string(), "ERROR db down"],
            [(t + 2 * NS).to_string(), "error: retry"],
        ]
    }]});
    let pushed = reqwest::Client::new()
        .post(format!("{loki_url}/loki/api/v1/push"))
        .json(&push)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 204);
    loki.evaluate_rules(true);
    let evaluated: Value = reqwest::get(format!("{loki_url}/prometheus/api/v1/rules"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = &evaluated["data"]["groups"][0];
    assert_eq!(group["name"], "gems-loki", "{evaluated}");
    for rule in group["rules"].as_array().unwrap() {
        assert_eq!(rule["health"], "ok", "{rule}");
        assert_eq!(rule["type"], "recording");
    }
    let errors_expr = app::domain::presets::loki_recording_rules().groups[0]
        .rules
        .iter()
        .find(|r| r.record.as_deref() == Some("gems_loki_error_logs_count_last_1m"))
        .unwrap()
        .expr
        .clone();
    let counted: Value = reqwest::Client::new()
        .get(format!(
            "{loki_url}/loki/api/v1/query?{}",
            serde_urlencoded::to_string([("query", errors_expr.as_str())]).unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result = &counted["data"]["result"];
    assert_eq!(result.as_array().map(Vec::len), Some(1), "{counted}");
    assert_eq!(result[0]["metric"]["pod"], "web-1");
    assert_eq!(result[0]["value"][1], "2", "ERROR and error both count");
    app.cleanup().await;
}
