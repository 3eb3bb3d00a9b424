//! Metric queries against a real Prometheus: environment scoping, templates, label values, errors
//! and tenant isolation.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use serde_json::{Value, json};

/// Series with a `namespace` label, recorded every second from constants.
const RULES: &str = r#"groups:
  - name: metrics-test
    interval: 1s
    rules:
      - record: gems_container_cpu_usage_cores
        expr: vector(0.25)
        labels: {namespace: shop, pod: web-1, container: app, workload: web, owner_kind: Deployment}
      - record: gems_container_cpu_usage_cores
        expr: vector(0.5)
        labels: {namespace: shop, pod: web-2, container: app, workload: web, owner_kind: Deployment}
      - record: gems_container_cpu_usage_cores
        expr: vector(2)
        labels: {namespace: other, pod: db-1, container: db, workload: db, owner_kind: StatefulSet}
"#;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn load_series(stack: &RealStack) {
    std::fs::write(stack.dir.path().join("rules/metrics-test.yml"), RULES).unwrap();
    let http = reqwest::Client::new();
    let reload = http
        .post(format!("{}/-/reload", stack.prometheus_url))
        .send()
        .await
        .unwrap();
    assert!(reload.status().is_success());
    for _ in 0..100 {
        let v: Value = http
            .get(format!(
                "{}/api/v1/query?query=count(gems_container_cpu_usage_cores)",
                stack.prometheus_url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["data"]["result"][0]["value"][1] == "3" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the recording rules never produced the test series");
}

fn pods(result: &Value) -> Vec<String> {
    let mut pods: Vec<String> = result["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["labels"]["pod"].as_str().unwrap_or("").to_string())
        .collect();
    pods.sort();
    pods
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_queries_see_only_their_namespace() {
    let Some(mut stack) = RealStack::start() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await;
    load_series(&stack).await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let a = || Auth::Cookie(&admin);
    app.create_user(&admin, "alice", "alice-password").await;
    app.create_user(&admin, "bob", "bob-password").await;
    let cluster = app
        .ok(
            "/api/clusters/create",
            json!({"cluster": {"name": "local", "kind": "standalone", "settings": {"prometheus_url": stack.prometheus_url}}}),
            a(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut env_of = Vec::new();
    for (tenant, user, ns) in [("shop-team", "alice", "shop"), ("db-team", "bob", "other")] {
        let t = app
            .ok(
                "/api/tenants/create",
                json!({"name": tenant, "description": ""}),
                a(),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        app.ok(
            "/api/members/set",
            json!({"tenant_id": t, "username": user, "role": "viewer"}),
            a(),
        )
        .await;
        let p = app
            .ok(
                "/api/projects/create",
                json!({"tenant_id": t, "name": "p", "description": ""}),
                a(),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let env = app
            .ok(
                "/api/environments/create",
                json!({"tenant_id": t, "project_id": p, "environment": {"name": "prod", "cluster_id": cluster, "namespace": ns, "description": ""}}),
                a(),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        env_of.push(env);
    }
    let (shop, other) = (env_of[0], env_of[1]);
    let alice = app.login("alice", "alice-password").await;
    let bob = app.login("bob", "bob-password").await;
    let (start, end) = (now() - 600, now());
    let range = |target: Value, query: Value| json!({"query": {"target": target, "query": query, "start": start, "end": end}});

    // Raw PromQL: the namespace is added to the selector; alice sees her two pods only.
    let r = app
        .ok(
            "/api/metrics/query_range",
            range(
                json!({"environment": shop}),
                json!({"expr": "gems_container_cpu_usage_cores"}),
            ),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(
        r["expr"],
        r#"gems_container_cpu_usage_cores{namespace="shop"}"#
    );
    assert_eq!(pods(&r), ["web-1", "web-2"]);
    assert_eq!(r["step"], 5, "10 minutes → 5 s steps (120 points)");
    let points = r["series"][0]["points"].as_array().unwrap();
    assert!(!points.is_empty());
    assert!(
        points.iter().all(|p| p[1] == 0.25 || p[1] == 0.5),
        "{points:?}"
    );

    // A template with a label filter: summed by the template's labels, filtered with =~.
    let r = app
        .ok(
            "/api/metrics/query_range",
            range(
                json!({"environment": shop}),
                json!({"template": {"scope": "containers", "resource": "container", "rule": "cpuUsage"},
                       "filters": [{"name": "pod", "op": "=~", "value": "web-2|db-1"}]}),
            ),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(pods(&r), ["web-2"]);
    assert_eq!(r["unit"], "short");
    assert!(
        r["expr"].as_str().unwrap().starts_with("sum by ("),
        "{}",
        r["expr"]
    );

    // Label values come from the scoped selectors.
    let values = app
        .ok(
            "/api/metrics/label_values",
            json!({"query": {"target": {"environment": shop}, "query": {"expr": "gems_container_cpu_usage_cores"}, "label": "pod", "start": start, "end": end}}),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(values, json!(["web-1", "web-2"]));

    // Refusals name the field: another namespace, a cluster-wide template, a bad regex.
    let cases = [
        (
            json!({"expr": r#"gems_container_cpu_usage_cores{namespace="other"}"#}),
            "expr",
            "another namespace",
        ),
        (
            json!({"template": {"scope": "system", "resource": "node", "rule": "cpuUsagePercent"}}),
            "template",
            "cluster-wide template",
        ),
        (
            json!({"expr": "up", "filters": [{"name": "pod", "op": "=~", "value": "("}]}),
            "filters",
            "pod=~",
        ),
        (
            // Valid syntax, refused by Prometheus when it evaluates: its message comes back.
            json!({"expr": r#"label_replace(gems_container_cpu_usage_cores, "a", "$1", "pod", "(")"#}),
            "expr",
            "Prometheus: ",
        ),
    ];
    for (query, field, text) in cases {
        let r = app
            .call(
                "/api/metrics/query_range",
                range(json!({"environment": shop}), query.clone()),
                Auth::Cookie(&alice),
            )
            .await;
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field, "{query}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(text),
            "{query}: {}",
            r.body
        );
    }

    // Tenant isolation: bob cannot query alice's environment; his own shows his pod.
    let r = app
        .call(
            "/api/metrics/query_range",
            range(json!({"environment": shop}), json!({"expr": "up"})),
            Auth::Cookie(&bob),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app
        .ok(
            "/api/metrics/query_range",
            range(
                json!({"environment": other}),
                json!({"expr": "gems_container_cpu_usage_cores"}),
            ),
            Auth::Cookie(&bob),
        )
        .await;
    assert_eq!(pods(&r), ["db-1"]);
    let targets = app
        .ok("/api/metrics/targets", json!({}), Auth::Cookie(&bob))
        .await;
    assert_eq!(targets.as_array().unwrap().len(), 1, "{targets}");
    assert_eq!(targets[0]["target"], json!({"environment": other}));

    // Whole-cluster queries are for system admins.
    let r = app
        .call(
            "/api/metrics/query_range",
            range(
                json!({"cluster": cluster}),
                json!({"expr": "gems_container_cpu_usage_cores"}),
            ),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .ok(
            "/api/metrics/query_range",
            range(
                json!({"cluster": cluster}),
                json!({"expr": "gems_container_cpu_usage_cores"}),
            ),
            a(),
        )
        .await;
    assert_eq!(pods(&r), ["db-1", "web-1", "web-2"]);

    // Prometheus gone: a clear 502 that names it.
    stack.stop_prometheus();
    let r = app
        .call(
            "/api/metrics/query_range",
            range(json!({"environment": shop}), json!({"expr": "up"})),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(r.status, 502, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains(&stack.prometheus_url),
        "{}",
        r.body
    );
}
