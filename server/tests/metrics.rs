//! Metric queries against a real Prometheus: environment scoping, templates, label values, errors
//! and tenant isolation, dashboards, and answers equal to Prometheus' own.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::api::dashboards::{
    CreateDashboard, DashboardVariableValues, DeleteDashboard, ListDashboards, QueryDashboard,
    UpdateDashboard,
};
use app::api::metrics::{LabelValues, MetricTargets, QueryRange};
use app::model::{
    DashboardInput, DashboardQuery, FilterOp, Graph, GraphGenerator, GraphTarget, LabelFilter,
    LabelValuesQuery, MetricExpr, QueryTarget, RangeQuery, TemplateKey,
};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, Reply, TestApp};
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
    std::fs::write(stack.dir.path().join("rules/metrics-test.yml"), RULES).expect("rules file");
    let http = reqwest::Client::new();
    let reload = http
        .post(format!("{}/-/reload", stack.prometheus_url))
        .send()
        .await
        .expect("reload");
    assert!(reload.status().is_success());
    for _ in 0..100 {
        let v: Value = http
            .get(format!(
                "{}/api/v1/query?query=count(gems_container_cpu_usage_cores)",
                stack.prometheus_url
            ))
            .send()
            .await
            .expect("query")
            .json()
            .await
            .expect("JSON");
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
        .into_iter()
        .flatten()
        .map(|s| s["labels"]["pod"].as_str().unwrap_or("").to_string())
        .collect();
    pods.sort();
    pods
}

fn raw(expr: &str) -> MetricExpr {
    MetricExpr {
        expr: expr.into(),
        ..Default::default()
    }
}

fn template(scope: &str, resource: &str, rule: &str) -> MetricExpr {
    MetricExpr {
        template: Some(TemplateKey::new(scope, resource, rule)),
        ..Default::default()
    }
}

/// The recorded series in a real Prometheus, a standalone cluster on it, and two tenants:
/// alice (viewer) in `shop`, bob (viewer) in `other`.
struct Metrics {
    app: TestApp,
    admin: String,
    alice: String,
    bob: String,
    shop: i64,
    other: i64,
    cluster: i64,
    stack: RealStack,
}

async fn metrics() -> Option<Metrics> {
    let stack = RealStack::start()?;
    let app = TestApp::start(Backend::Sqlite).await;
    load_series(&stack).await;
    server::templates::seed(&app.db).await.expect("seed");
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    app.create_user(&admin, "bob", "bob-password").await;
    let cluster = app
        .standalone_cluster(&admin, "local", &stack.prometheus_url)
        .await;
    let mut envs = Vec::new();
    for (tenant, user, ns) in [("shop-team", "alice", "shop"), ("db-team", "bob", "other")] {
        let e = app
            .environment(&admin, tenant, (user, "viewer"), cluster, ns)
            .await;
        envs.push(e.environment);
    }
    let alice = app.login("alice", "alice-password").await;
    let bob = app.login("bob", "bob-password").await;
    Some(Metrics {
        app,
        admin,
        alice,
        bob,
        shop: envs[0],
        other: envs[1],
        cluster,
        stack,
    })
}

impl Metrics {
    /// The last ten minutes of `query` on `target`, as `session`.
    async fn range(&self, session: &str, target: QueryTarget, query: MetricExpr) -> Reply {
        let query = RangeQuery {
            target,
            query,
            start: now() - 600,
            end: now(),
            step: None,
        };
        self.app
            .fun(QueryRange { query }, Auth::Cookie(session))
            .await
    }

    async fn range_ok(&self, session: &str, target: QueryTarget, query: MetricExpr) -> Value {
        let r = self.range(session, target, query).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_promql_of_an_environment_is_confined_to_its_namespace() {
    let Some(m) = metrics().await else { return };
    let shop = QueryTarget::Environment(m.shop);
    let r = m
        .range_ok(&m.alice, shop, raw("gems_container_cpu_usage_cores"))
        .await;
    assert_eq!(
        r["expr"],
        r#"gems_container_cpu_usage_cores{namespace="shop"}"#
    );
    assert_eq!(pods(&r), ["web-1", "web-2"]);
    assert_eq!(r["step"], 5, "10 minutes → 5 s steps (120 points)");
    let points = r["series"][0]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!points.is_empty());
    assert!(
        points.iter().all(|p| p[1] == 0.25 || p[1] == 0.5),
        "{points:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_with_a_filter_is_summed_by_its_labels_and_filtered_by_regex() {
    let Some(m) = metrics().await else { return };
    let query = MetricExpr {
        filters: vec![LabelFilter {
            name: "pod".into(),
            op: FilterOp::Re,
            value: "web-2|db-1".into(),
        }],
        ..template("containers", "container", "cpuUsage")
    };
    let r = m
        .range_ok(&m.alice, QueryTarget::Environment(m.shop), query)
        .await;
    assert_eq!(pods(&r), ["web-2"]);
    assert_eq!(r["unit"], "short");
    let expr = r["expr"].as_str().unwrap_or_default();
    assert!(expr.starts_with("sum by ("), "{expr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_values_come_from_the_confined_selectors() {
    let Some(m) = metrics().await else { return };
    let query = LabelValuesQuery {
        target: QueryTarget::Environment(m.shop),
        query: raw("gems_container_cpu_usage_cores"),
        label: "pod".into(),
        start: now() - 600,
        end: now(),
    };
    let values = m
        .app
        .fun_ok(LabelValues { query }, Auth::Cookie(&m.alice))
        .await;
    assert_eq!(values, json!(["web-1", "web-2"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_queries_name_their_field_and_say_why() {
    let Some(m) = metrics().await else { return };
    let bad_filter = MetricExpr {
        filters: vec![LabelFilter {
            name: "pod".into(),
            op: FilterOp::Re,
            value: "(".into(),
        }],
        ..raw("up")
    };
    let cases = [
        (
            raw(r#"gems_container_cpu_usage_cores{namespace="other"}"#),
            "expr",
            "another namespace",
        ),
        (
            template("system", "node", "cpuUsagePercent"),
            "template",
            "cluster-wide template",
        ),
        (bad_filter, "filters", "pod=~"),
        // Valid syntax, refused by Prometheus when it evaluates: its message comes back.
        (
            raw(r#"label_replace(gems_container_cpu_usage_cores, "a", "$1", "pod", "(")"#),
            "expr",
            "Prometheus: ",
        ),
    ];
    for (query, field, text) in cases {
        let what = format!("{query:?}");
        let r = m
            .range(&m.alice, QueryTarget::Environment(m.shop), query)
            .await;
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        assert_eq!(r.body["field"], field, "{what}: {}", r.body);
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{what}: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_queries_only_its_own_environment() {
    let Some(m) = metrics().await else { return };
    let r = m
        .range(&m.bob, QueryTarget::Environment(m.shop), raw("up"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let own = m
        .range_ok(
            &m.bob,
            QueryTarget::Environment(m.other),
            raw("gems_container_cpu_usage_cores"),
        )
        .await;
    assert_eq!(pods(&own), ["db-1"]);
    let targets = m.app.fun_ok(MetricTargets {}, Auth::Cookie(&m.bob)).await;
    assert_eq!(targets.as_array().map(Vec::len), Some(1), "{targets}");
    assert_eq!(targets[0]["target"], json!({"environment": m.other}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_cluster_queries_are_for_system_admins() {
    let Some(m) = metrics().await else { return };
    let cluster = QueryTarget::Cluster(m.cluster);
    let expr = || raw("gems_container_cpu_usage_cores");
    assert_eq!(m.range(&m.alice, cluster, expr()).await.status, 403);
    let all = m.range_ok(&m.admin, cluster, expr()).await;
    assert_eq!(pods(&all), ["db-1", "web-1", "web-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_prometheus_is_a_502_that_names_it() {
    let Some(mut m) = metrics().await else { return };
    m.stack.stop_prometheus();
    let r = m
        .range(&m.alice, QueryTarget::Environment(m.shop), raw("up"))
        .await;
    assert_eq!(r.status, 502, "{}", r.body);
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(message.contains(&m.stack.prometheus_url), "{}", r.body);
}

fn target(expr: &str, generator: Option<GraphGenerator>) -> GraphTarget {
    GraphTarget {
        target_name: "A".into(),
        expr: expr.into(),
        generator,
    }
}

fn graph(name: &str, unit: &str, target: GraphTarget) -> Graph {
    Graph {
        name: name.into(),
        unit: unit.into(),
        targets: vec![target],
    }
}

/// A dashboard of one graph and one target.
fn one_graph(name: &str, target: GraphTarget) -> DashboardInput {
    DashboardInput {
        name: name.into(),
        graphs: vec![graph("x", "", target)],
        ..Default::default()
    }
}

/// A viewer's environment `shop` with a dashboard from the "Workload containers" template,
/// edited to a template panel, a raw panel and one that fails at run time.
struct Boards {
    app: TestApp,
    admin: String,
    viv: String,
    env: i64,
    id: i64,
    created: Value,
}

async fn boards(backend: Backend, stack: &RealStack) -> Boards {
    let app = TestApp::start(backend).await;
    server::templates::seed(&app.db).await.expect("seed");
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "viv", "viewer-password").await;
    let cluster = app
        .standalone_cluster(&admin, "local", &stack.prometheus_url)
        .await;
    let env = app
        .environment(&admin, "shop-team", ("viv", "viewer"), cluster, "shop")
        .await
        .environment;
    let create = CreateDashboard {
        environment_id: env,
        dashboard: DashboardInput {
            name: "containers".into(),
            template: "Workload containers".into(),
            ..Default::default()
        },
    };
    let created = app.fun_ok(create, Auth::Cookie(&admin)).await;
    let id = created["id"].as_i64().expect("dashboard id");
    let cpu = GraphGenerator {
        key: TemplateKey::new("containers", "container", "cpuUsage"),
        unit: "short".into(),
        ..Default::default()
    };
    let update = UpdateDashboard {
        dashboard_id: id,
        dashboard: DashboardInput {
            name: "containers".into(),
            refresh: "off".into(),
            start: "now-10m".into(),
            end: "now".into(),
            step: "30s".into(),
            graphs: vec![
                graph("CPU", "short", target("", Some(cpu))),
                graph("Raw", "", target("gems_container_cpu_usage_cores", None)),
                graph(
                    "Broken",
                    "",
                    target("label_replace(up, \"a\", \"$1\", \"b\", \"(\")", None),
                ),
            ],
            variables: BTreeMap::from([("pod".to_string(), String::new())]),
            ..Default::default()
        },
    };
    let updated = app.fun_ok(update, Auth::Cookie(&admin)).await;
    assert_eq!(
        updated["template"], "Workload containers",
        "the template is remembered"
    );
    let viv = app.login("viv", "viewer-password").await;
    Boards {
        app,
        admin,
        viv,
        env,
        id,
        created,
    }
}

impl Boards {
    fn query(&self, pod: Option<&str>) -> DashboardQuery {
        DashboardQuery {
            dashboard_id: self.id,
            start: now() - 600,
            end: now(),
            variables: pod
                .map(|p| BTreeMap::from([("pod".to_string(), p.to_string())]))
                .unwrap_or_default(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_from_a_template_copies_its_graphs_and_variables() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in common::backends() {
        let b = boards(backend, &stack).await;
        assert_eq!(b.created["template"], "Workload containers", "[{backend}]");
        assert!(
            b.created["graphs"]
                .as_array()
                .map(Vec::len)
                .unwrap_or_default()
                > 3
        );
        let variables = b.created["variables"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            variables.contains_key("workload"),
            "[{backend}] {variables:?}"
        );
        b.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_query_outside_the_namespace_or_cluster_wide_is_refused_and_not_saved() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in common::backends() {
        let b = boards(backend, &stack).await;
        let a = || Auth::Cookie(&b.admin);
        let update = UpdateDashboard {
            dashboard_id: b.id,
            dashboard: one_graph("containers", target("up{namespace=\"other\"}", None)),
        };
        let refused = b.app.fun(update, a()).await;
        assert_eq!(refused.status, 422, "[{backend}] {}", refused.body);
        assert_eq!(refused.body["field"], "graphs[0].targets[0]");
        let nodes = GraphGenerator {
            key: TemplateKey::new("system", "node", "cpuUsagePercent"),
            ..Default::default()
        };
        let create = CreateDashboard {
            environment_id: b.env,
            dashboard: one_graph("nodes", target("", Some(nodes))),
        };
        let cluster_wide = b.app.fun(create, a()).await;
        assert_eq!(
            cluster_wide.status, 422,
            "[{backend}] {}",
            cluster_wide.body
        );
        let listed = b
            .app
            .fun_ok(
                ListDashboards {
                    environment_id: b.env,
                },
                a(),
            )
            .await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(listed[0]["graphs"].as_array().map(Vec::len), Some(3));
        b.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_runs_every_panel_in_one_request_and_one_failing_panel_blanks_no_other() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    load_series(&stack).await;
    let b = boards(Backend::Sqlite, &stack).await;
    let v = || Auth::Cookie(&b.viv);
    let forbidden = b.app.fun(DeleteDashboard { dashboard_id: b.id }, v()).await;
    assert_eq!(forbidden.status, 403, "a viewer cannot change it");
    let query = b.query(Some("web-2"));
    let panels = b.app.fun_ok(QueryDashboard { query }, v()).await;
    let panels = panels.as_array().cloned().unwrap_or_default();
    assert_eq!(panels.len(), 3);
    // The variable filters every panel.
    assert_eq!(pods(&panels[0]["result"]["Ok"]), ["web-2"], "{}", panels[0]);
    assert_eq!(pods(&panels[1]["result"]["Ok"]), ["web-2"], "{}", panels[1]);
    let error = panels[2]["result"]["Err"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("Prometheus"), "{}", panels[2]);
    let values = DashboardVariableValues {
        dashboard_id: b.id,
        name: "pod".into(),
        start: now() - 600,
        end: now(),
    };
    assert_eq!(b.app.fun_ok(values, v()).await, json!(["web-1", "web-2"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_user_sees_nothing_of_a_dashboard() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    for backend in common::backends() {
        let b = boards(backend, &stack).await;
        b.app.create_user(&b.admin, "eve", "eve-password").await;
        let eve = b.app.login("eve", "eve-password").await;
        let e = || Auth::Cookie(&eve);
        let answers = [
            (
                "list",
                b.app
                    .fun(
                        ListDashboards {
                            environment_id: b.env,
                        },
                        e(),
                    )
                    .await,
            ),
            (
                "query",
                b.app
                    .fun(
                        QueryDashboard {
                            query: b.query(None),
                        },
                        e(),
                    )
                    .await,
            ),
            (
                "delete",
                b.app.fun(DeleteDashboard { dashboard_id: b.id }, e()).await,
            ),
        ];
        for (what, r) in answers {
            assert_eq!(r.status, 404, "[{backend}] {what}: {}", r.body);
        }
        let delete = DeleteDashboard { dashboard_id: b.id };
        b.app.fun_ok(delete, Auth::Cookie(&b.admin)).await;
        b.app.cleanup().await;
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
        let query = RangeQuery {
            target: QueryTarget::Environment(env),
            query: raw(expr),
            start,
            end,
            step: Some(step),
        };
        let ours = app.fun_ok(QueryRange { query }, Auth::Cookie(&alice)).await;
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
    let query = RangeQuery {
        target: QueryTarget::Environment(env),
        query: raw("gems_container_cpu_usage_cores{pod=\"web-9\"}"),
        start: t - 120,
        end: t,
        step: Some(60),
    };
    let recent = app.fun_ok(QueryRange { query }, Auth::Cookie(&alice)).await;
    assert_eq!(recent["series"].as_array().unwrap().len(), 1, "{recent}");
    let last = recent["series"][0]["points"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last[1], 0.9);
}
