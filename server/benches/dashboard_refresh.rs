//! Load script (run with `cargo bench -p server --bench dashboard_refresh`): a 12-panel dashboard
//! refresh through Gemscope against the slowest of its panel queries sent to Prometheus
//! directly, on the same real Prometheus holding six hours of deterministic container history.
//! Prints both medians and their ratio; the goal is a ratio of at most 1.2.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use app::api::dashboards::{CreateDashboard, QueryDashboard};
use app::model::{DashboardInput, DashboardQuery, Graph, GraphTarget};
use common::real::{RealStack, container_history};
use common::{ADMIN_PW, Auth, Backend, TestApp};
use serde_json::Value;

const PANELS: [&str; 12] = [
    "sum by (pod) (gems_container_cpu_usage_cores)",
    "avg by (container) (gems_container_cpu_usage_cores)",
    "max by (pod) (gems_container_memory_usage_bytes)",
    "sum by (pod) (rate(container_network_receive_bytes_total[5m]))",
    "topk(5, sum by (pod) (gems_container_cpu_usage_cores))",
    "quantile(0.9, gems_container_cpu_usage_cores)",
    "sum(gems_container_memory_usage_bytes)",
    "avg_over_time(gems_container_cpu_usage_cores[10m])",
    "sum by (pod) (increase(container_network_receive_bytes_total[1h]))",
    "count(gems_container_cpu_usage_cores > 0.2)",
    "sum by (pod) (gems_container_memory_usage_bytes) / 1e6",
    "max_over_time(gems_container_cpu_usage_cores[30m])",
];
const ROUNDS: usize = 30;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now / 60 * 60;
    let history = container_history(&["shop", "other"], 40, 6, 30, end);
    let Some(stack) = RealStack::start_with_history(Some(&history)) else {
        eprintln!("prometheus is not installed: nothing to measure");
        return;
    };
    // A measurement sends more refreshes a minute than a person would: no per-user query budget.
    let app = TestApp::start_with(Backend::Sqlite, |c| c.query_rate_per_minute = 0).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let cluster = app
        .standalone_cluster(&admin, "bench", &stack.prometheus_url)
        .await;
    let env = app
        .environment(&admin, "shop-team", ("alice", "viewer"), cluster, "shop")
        .await
        .environment;
    let graphs: Vec<Graph> = PANELS
        .iter()
        .enumerate()
        .map(|(i, e)| Graph {
            name: format!("panel {i}"),
            unit: String::new(),
            targets: vec![GraphTarget {
                target_name: "A".into(),
                expr: e.to_string(),
                generator: None,
            }],
        })
        .collect();
    let create = CreateDashboard {
        environment_id: env,
        dashboard: DashboardInput {
            name: "bench".into(),
            graphs,
            ..Default::default()
        },
    };
    let d = app.fun_ok(create, Auth::Cookie(&admin)).await["id"]
        .as_i64()
        .expect("dashboard id");
    let alice = app.login("alice", "alice-password").await;
    let (start, stop) = (end - 6 * 3600, end);
    let refresh = QueryDashboard {
        query: DashboardQuery {
            dashboard_id: d,
            start,
            end: stop,
            variables: Default::default(),
        },
    };

    // The queries exactly as Gemscope sends them (scoped to the namespace, with its step).
    let first = app.fun_ok(refresh.clone(), Auth::Cookie(&alice)).await;
    let mut direct = Vec::new();
    for p in first.as_array().unwrap() {
        let r = &p["result"]["Ok"];
        assert!(!r.is_null(), "panel failed: {p}");
        assert!(
            !r["series"].as_array().unwrap().is_empty(),
            "panel without data: {p}"
        );
        direct.push((
            r["expr"].as_str().unwrap().to_string(),
            r["step"].as_i64().unwrap(),
        ));
    }
    let http = reqwest::Client::new();
    // The query string of a panel's range query, as Gemscope sends it.
    let range_params = |expr: &str, step: i64| {
        serde_urlencoded::to_string([
            ("query", expr.to_string()),
            ("start", start.to_string()),
            ("end", stop.to_string()),
            ("step", step.to_string()),
        ])
        .unwrap()
    };

    // Warm both paths (Prometheus' caches, connections, the SQLite pages).
    for _ in 0..3 {
        app.fun_ok(refresh.clone(), Auth::Cookie(&alice)).await;
    }
    let mut slowest = (String::new(), Duration::ZERO);
    for (expr, step) in &direct {
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let query = range_params(expr, *step);
            let r = http
                .get(format!(
                    "{}/api/v1/query_range?{query}",
                    stack.prometheus_url
                ))
                .send()
                .await
                .unwrap();
            let body: Value = r.json().await.unwrap();
            times.push(t.elapsed());
            assert_eq!(body["status"], "success");
        }
        let m = median(times);
        if m > slowest.1 {
            slowest = (expr.clone(), m);
        }
    }
    // (c) the same 12 queries sent directly and all at once: what this machine's Prometheus
    // needs for the whole refresh, with no Gemscope in between.
    let mut together = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let calls = direct.iter().map(|(expr, step)| {
            let query = range_params(expr, *step);
            let http = http.clone();
            let url = format!("{}/api/v1/query_range?{query}", stack.prometheus_url);
            async move {
                http.get(url)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        });
        let all = futures_util::future::join_all(calls).await;
        together.push(t.elapsed());
        assert!(all.iter().all(|b| b["status"] == "success"));
    }
    let all_direct = median(together);
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = app.fun(refresh.clone(), Auth::Cookie(&alice)).await;
        times.push(t.elapsed());
        assert_eq!(r.status, 200);
    }
    let full = median(times);
    let series: usize = first
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["result"]["Ok"]["series"]
                .as_array()
                .map_or(0, |s| s.len())
        })
        .sum();
    println!(
        "dashboard refresh benchmark ({ROUNDS} rounds, 6 h range, {series} series in 12 panels)"
    );
    println!(
        "  (a) slowest single panel, direct to Prometheus: median {:.1} ms  [{}]",
        ms(slowest.1),
        slowest.0
    );
    println!(
        "  (b) 12-panel refresh through Gemscope:           median {:.1} ms",
        ms(full)
    );
    println!(
        "  (c) the 12 panel queries at once, direct:        median {:.1} ms",
        ms(all_direct)
    );
    println!(
        "  b / a = {:.2} (goal <= 1.2); b / c = {:.2} (Gemscope's own share)",
        ms(full) / ms(slowest.1),
        ms(full) / ms(all_direct)
    );
    println!(
        "  cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
