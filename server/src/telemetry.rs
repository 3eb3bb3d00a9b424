//! `/metrics` in the Prometheus text format: requests and latencies by route, database pool, build.

use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: String,
    /// `ok`, `retried` (failed, another attempt queued) or `failed`.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    jobs: Family<JobLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gemscope");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        let build = Family::<BuildLabels, Gauge>::default();
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Finished job runs by job and result",
            jobs.clone(),
        );
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        registry.register("build_info", "Build information", build);
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            pool,
            jobs,
        }
    }
}

impl Metrics {
    pub fn job_finished(&self, job: &str, result: &'static str) {
        self.jobs
            .get_or_create(&JobLabels {
                job: job.to_string(),
                result,
            })
            .inc();
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    pub fn render(&self, open: u32, idle: u32) -> String {
        self.pool
            .get_or_create(&PoolLabels { state: "open" })
            .set(i64::from(open));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = encode(&mut out, &registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }
}

/// Records every request under its route pattern (never the raw path, which would explode the
/// label space); requests that match no route are counted as `unmatched`.
pub async fn track(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_pool() {
        let m = Metrics::default();
        m.observe("POST", "/api/tenants/list", 200, 0.012);
        m.observe("POST", "/api/tenants/list", 200, 0.020);
        m.observe("POST", "/api/tenants/list", 403, 0.001);
        let text = m.render(3, 2);
        assert!(text.contains(r#"gemscope_http_requests_total{method="POST",route="/api/tenants/list",status="200"} 2"#), "{text}");
        assert!(text.contains(r#"status="403"} 1"#));
        assert!(text.contains("gemscope_http_request_duration_seconds_bucket"));
        assert!(text.contains(r#"gemscope_db_pool_connections{state="open"} 3"#));
        assert!(text.contains("gemscope_build_info{version="));
    }

    #[test]
    fn counts_finished_job_runs_by_job_and_result() {
        let m = Metrics::default();
        m.job_finished("alert-state-sync", "ok");
        m.job_finished("alert-state-sync", "ok");
        m.job_finished("alert-config-check", "retried");
        let text = m.render(0, 0);
        assert!(
            text.contains(r#"gemscope_job_runs_total{job="alert-state-sync",result="ok"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"gemscope_job_runs_total{job="alert-config-check",result="retried"} 1"#
            )
        );
        assert!(!text.contains(r#"result="failed""#));
    }
}
