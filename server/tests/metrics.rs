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
        .standalone_cluster(&admin, "local", &stack.prometheus_url)
        .await;
    let mut env_of = Vec::new();
    for (tenant, user, ns) in [("shop-team", "alice", "shop"), ("db-team", "bob", "other")] {
        let e = app
            .environment(&admin, tenant, (user, "viewer"), cluster, ns)
            .await;
        env_of.push(e.environment);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_from_templates_run_every_panel_in_one_request() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in common::backends() {
        let app = TestApp::start(backend).await;
        if backend == Backend::Sqlite {
            load_series(&stack).await;
        }
        server::templates::seed(&app.db).await.unwrap();
        let admin = app.login("admin", ADMIN_PW).await;
        let a = || Auth::Cookie(&admin);
        app.create_user(&admin, "viv", "viewer-password").await;
        let cluster = app
            .standalone_cluster(&admin, "local", &stack.prometheus_url)
            .await;
        let env = app
            .environment(&admin, "shop-team", ("viv", "viewer"), cluster, "shop")
            .await
            .environment;

        // From the Container template: graphs, variables and times are copied.
        let d = app
            .ok(
                "/api/dashboards/create",
                json!({"environment_id": env, "dashboard": {"name": "containers", "template": "Workload containers"}}),
                a(),
            )
            .await;
        assert_eq!(d["template"], "Workload containers", "[{backend}]");
        assert!(d["graphs"].as_array().unwrap().len() > 3);
        assert!(
            d["variables"].as_object().unwrap().contains_key("workload"),
            "[{backend}] variables are copied: {}",
            d["variables"]
        );
        let id = d["id"].as_i64().unwrap();

        // Edited: one template panel, one raw panel, one broken at run time.
        let graphs = json!([
            {"name": "CPU", "unit": "short", "targets": [{"targetName": "A", "expr": "", "promqlGenerator": {"scope": "containers", "resource": "container", "rule": "cpuUsage", "unit": "short"}}]},
            {"name": "Raw", "unit": "", "targets": [{"targetName": "A", "expr": "gems_container_cpu_usage_cores"}]},
            {"name": "Broken", "unit": "", "targets": [{"targetName": "A", "expr": "label_replace(up, \"a\", \"$1\", \"b\", \"(\")"}]},
        ]);
        let updated = app
            .ok(
                "/api/dashboards/update",
                json!({"dashboard_id": id, "dashboard": {"name": "containers", "refresh": "off", "start": "now-10m", "end": "now", "step": "30s", "graphs": graphs, "variables": {"pod": ""}}}),
                a(),
            )
            .await;
        assert_eq!(updated["template"], "Workload containers");

        // Bad input names the graph and target; nothing is saved.
        let refused = app
            .call(
                "/api/dashboards/update",
                json!({"dashboard_id": id, "dashboard": {"name": "containers", "graphs": [
                    {"name": "x", "unit": "", "targets": [{"targetName": "A", "expr": "up{namespace=\"other\"}"}]}]}}),
                a(),
            )
            .await;
        assert_eq!(refused.status, 422, "[{backend}] {}", refused.body);
        assert_eq!(refused.body["field"], "graphs[0].targets[0]");
        let cluster_wide = app
            .call(
                "/api/dashboards/create",
                json!({"environment_id": env, "dashboard": {"name": "nodes", "graphs": [
                    {"name": "x", "unit": "", "targets": [{"targetName": "A", "expr": "", "promqlGenerator": {"scope": "system", "resource": "node", "rule": "cpuUsagePercent"}}]}]}}),
                a(),
            )
            .await;
        assert_eq!(
            cluster_wide.status, 422,
            "[{backend}] {}",
            cluster_wide.body
        );
        let listed = app
            .ok("/api/dashboards/list", json!({"environment_id": env}), a())
            .await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["graphs"].as_array().unwrap().len(), 3);

        // A viewer reads and queries, but cannot change.
        let viv = app.login("viv", "viewer-password").await;
        let v = || Auth::Cookie(&viv);
        let forbidden = app
            .call("/api/dashboards/delete", json!({"dashboard_id": id}), v())
            .await;
        assert_eq!(forbidden.status, 403);
        let (start, end) = (now() - 600, now());
        let panels = app
            .ok(
                "/api/dashboards/query",
                json!({"query": {"dashboard_id": id, "start": start, "end": end, "variables": {"pod": "web-2"}}}),
                v(),
            )
            .await;
        let panels = panels.as_array().unwrap();
        assert_eq!(panels.len(), 3);
        if backend == Backend::Sqlite {
            // One failing panel does not blank the others; the variable filters every panel.
            assert_eq!(pods(&panels[0]["result"]["Ok"]), ["web-2"], "{}", panels[0]);
            assert_eq!(pods(&panels[1]["result"]["Ok"]), ["web-2"], "{}", panels[1]);
            assert!(
                panels[2]["result"]["Err"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Prometheus"),
                "{}",
                panels[2]
            );
            let values = app
                .ok(
                    "/api/dashboards/variable_values",
                    json!({"dashboard_id": id, "name": "pod", "start": start, "end": end}),
                    v(),
                )
                .await;
            assert_eq!(values, json!(["web-1", "web-2"]));
        }

        // Another tenant's user sees nothing of it.
        app.create_user(&admin, "eve", "eve-password").await;
        let eve = app.login("eve", "eve-password").await;
        for (path, body) in [
            ("/api/dashboards/list", json!({"environment_id": env})),
            (
                "/api/dashboards/query",
                json!({"query": {"dashboard_id": id, "start": start, "end": end}}),
            ),
            ("/api/dashboards/delete", json!({"dashboard_id": id})),
        ] {
            let r = app.call(path, body, Auth::Cookie(&eve)).await;
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.body);
        }
        app.ok("/api/dashboards/delete", json!({"dashboard_id": id}), a())
            .await;
        app.cleanup().await;
    }
}

/// Gemscope's answers are Prometheus' own: six hours of history (promtool blocks) plus recent
/// samples (remote write), queried through an environment and directly with the scoped
/// expression Gemscope reports, compared series by series and point by point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_answers_equal_prometheus_direct() {
    use common::real::container_history;
    use common::remote_write::{push, series};
    let history_end = now() / 60 * 60 - 600;
    let history = container_history(&["shop", "other"], 3, 6, 30, history_end);
    let Some(stack) = RealStack::start_with_history(Some(&history)) else {
        return;
    };
    let t = now();
    let labels = [
        ("namespace", "shop"),
        ("pod", "web-9"),
        ("container", "app"),
        ("workload", "web"),
    ];
    let other = [
        ("namespace", "other"),
        ("pod", "web-9"),
        ("container", "app"),
        ("workload", "web"),
    ];
    push(
        &stack.prometheus_url,
        vec![
            series(
                "gems_container_cpu_usage_cores",
                &labels,
                &[(t - 120, 0.7), (t - 60, 0.8), (t, 0.9)],
            ),
            series(
                "gems_container_cpu_usage_cores",
                &other,
                &[(t - 120, 5.0), (t - 60, 5.0), (t, 5.0)],
            ),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let direct = |expr: String, start: i64, end: i64, step: i64| {
        let http = http.clone();
        let url = stack.prometheus_url.clone();
        async move {
            let q = serde_urlencoded::to_string([
                ("query", expr),
                ("start", start.to_string()),
                ("end", end.to_string()),
                ("step", step.to_string()),
            ])
            .unwrap();
            let v: Value = http
                .get(format!("{url}/api/v1/query_range?{q}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["status"], "success", "{v}");
            v["data"]["result"].as_array().unwrap().clone()
        }
    };
    // The history blocks are loaded when Prometheus opens its data directory.
    let loaded = direct(
        "count(gems_container_memory_usage_bytes)".into(),
        history_end - 60,
        history_end - 60,
        60,
    )
    .await;
    assert_eq!(
        loaded[0]["values"][0][1], "12",
        "3 pods × 2 containers × 2 namespaces"
    );

    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let cluster = app
        .standalone_cluster(&admin, "local", &stack.prometheus_url)
        .await;
    let env = app
        .environment(&admin, "shop-team", ("alice", "viewer"), cluster, "shop")
        .await
        .environment;
    let alice = app.login("alice", "alice-password").await;
    let (start, end, step) = (history_end - 3 * 3600, t, 60);
    for expr in [
        "gems_container_cpu_usage_cores",
        "sum by (pod) (gems_container_cpu_usage_cores)",
        "avg_over_time(gems_container_memory_usage_bytes[5m])",
        "sum by (pod) (rate(container_network_receive_bytes_total[5m]))",
    ] {
        let ours = app
            .ok(
                "/api/metrics/query_range",
                json!({"query": {"target": {"environment": env}, "query": {"expr": expr}, "start": start, "end": end, "step": step}}),
                Auth::Cookie(&alice),
            )
            .await;
        let scoped = ours["expr"].as_str().unwrap().to_string();
        assert!(scoped.contains(r#"namespace="shop""#), "{scoped}");
        let theirs = direct(scoped.clone(), start, end, step).await;
        let ours_series = ours["series"].as_array().unwrap();
        assert_eq!(ours_series.len(), theirs.len(), "{expr}");
        assert!(!theirs.is_empty(), "{expr}: no data");
        for s in &theirs {
            let mine = ours_series
                .iter()
                .find(|o| o["labels"] == s["metric"])
                .unwrap_or_else(|| panic!("{expr}: no series {}", s["metric"]));
            let want: Vec<(f64, f64)> = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_f64().unwrap(),
                        p[1].as_str().unwrap().parse().unwrap(),
                    )
                })
                .collect();
            let got: Vec<(f64, f64)> = mine["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                .collect();
            assert_eq!(got, want, "{expr} {}", s["metric"]);
            if let Some(ns) = s["metric"].get("namespace") {
                assert_eq!(ns, "shop", "{expr}");
            }
        }
    }
    // The remote-written recent samples are there, and only shop's.
    let recent = app
        .ok(
            "/api/metrics/query_range",
            json!({"query": {"target": {"environment": env}, "query": {"expr": "gems_container_cpu_usage_cores{pod=\"web-9\"}"}, "start": t - 120, "end": t, "step": 60}}),
            Auth::Cookie(&alice),
        )
        .await;
    assert_eq!(recent["series"].as_array().unwrap().len(), 1, "{recent}");
    let last = recent["series"][0]["points"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last[1], 0.9);
}
