//! A Grafana Loki stand-in, in memory, speaking Loki 3.4's HTTP API: push, log and metric
//! queries, labels and series, and the ruler (rules API and the Prometheus-style rules/alerts
//! API). Its answers follow the recordings in `fixtures/loki/` (`tests/loki_contract.rs` replays
//! them). Query parsing uses Gemscope's LogQL parser, whose errors are checked against Loki's.

pub mod eval;
pub mod pipeline;
pub mod ruler;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use app::domain::logql::{self, Expr, duration, format_number};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use http::Method;
use serde_json::{Value, json};

use eval::{Direction, NS_PER_MS};
use ruler::{Evaluations, Storage, envelope, number};
use store::{Labels, Store};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Read rules from `<dir>/fake/*` like Loki's `local` rule store (read-only ruler API).
    /// Without it, the ruler API is writable, like Loki with an object-store backend.
    pub rules_dir: Option<PathBuf>,
    /// A fixed "now" in Unix nanoseconds (for replaying recordings); `None` follows the clock.
    pub now: Option<i128>,
}

pub struct Loki {
    store: Mutex<Store>,
    ruler: Mutex<Storage>,
    evaluations: Mutex<Evaluations>,
    now: Mutex<Option<i128>>,
    requests: AtomicU64,
}

pub type Shared = Arc<Loki>;

type Reply = Result<Response, (u16, String)>;

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, (u16, String)> {
    m.lock()
        .map_err(|_| (500, "stand-in state lock poisoned\n".into()))
}

impl Loki {
    pub fn new(options: Options) -> Shared {
        Arc::new(Loki {
            store: Mutex::new(Store::default()),
            ruler: Mutex::new(match options.rules_dir {
                Some(d) => Storage::Local(d),
                None => Storage::Api(Default::default()),
            }),
            evaluations: Mutex::new(Evaluations::default()),
            now: Mutex::new(options.now),
            requests: AtomicU64::new(0),
        })
    }

    pub fn now_ns(&self) -> i128 {
        self.now.lock().ok().and_then(|n| *n).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as i128)
                .unwrap_or_default()
        })
    }

    /// Fixes "now" (or lets it follow the clock again with `None`).
    pub fn set_now(&self, now: Option<i128>) {
        if let Ok(mut n) = self.now.lock() {
            *n = now;
        }
    }

    /// Evaluates the rule groups that are due (every group when `force`), at "now".
    pub fn evaluate_rules(&self, force: bool) {
        let now = self.now_ns();
        let (Ok(ruler), Ok(store), Ok(mut evals)) = (
            self.ruler.lock(),
            self.store.lock(),
            self.evaluations.lock(),
        ) else {
            return;
        };
        evals.run(&ruler, &store, now, force);
    }

    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

pub fn router(loki: Shared) -> Router {
    Router::new()
        .route("/ready", get(|| async { text(200, "ready\n") }))
        .route("/loki/api/v1/status/buildinfo", get(buildinfo))
        .route("/loki/api/v1/push", axum::routing::post(push))
        .route("/loki/api/v1/query", get(query).post(query))
        .route(
            "/loki/api/v1/query_range",
            get(query_range).post(query_range),
        )
        .route("/loki/api/v1/labels", get(labels).post(labels))
        .route(
            "/loki/api/v1/label/{name}/values",
            get(label_values).post(label_values),
        )
        .route("/loki/api/v1/series", get(series).post(series))
        .route("/loki/api/v1/rules", get(all_rules))
        .route(
            "/loki/api/v1/rules/{ns}",
            get(namespace_rules)
                .post(set_group)
                .delete(delete_namespace),
        )
        .route(
            "/loki/api/v1/rules/{ns}/{group}",
            get(get_group).delete(delete_group),
        )
        .route("/prometheus/api/v1/rules", get(prometheus_rules))
        .route("/prometheus/api/v1/alerts", get(prometheus_alerts))
        .fallback(|| async { text(404, "404 page not found\n") })
        .layer(axum::middleware::from_fn_with_state(loki.clone(), count))
        .with_state(loki)
}

async fn count(
    State(loki): State<Shared>,
    req: http::Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    loki.requests.fetch_add(1, Ordering::Relaxed);
    next.run(req).await
}

/// Serves the stand-in on `addr`, evaluating rule groups on their intervals, until the returned
/// task is dropped or aborted.
pub async fn serve(
    addr: SocketAddr,
    options: Options,
) -> anyhow::Result<(SocketAddr, Shared, tokio::task::JoinHandle<()>)> {
    let loki = Loki::new(options);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(loki.clone());
    let ticker = loki.clone();
    let task = tokio::spawn(async move {
        let evaluate = async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                ticker.evaluate_rules(false);
            }
        };
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = evaluate => {}
        }
    });
    Ok((bound, loki, task))
}

fn text(status: u16, body: &str) -> Response {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("X-Content-Type-Options", "nosniff")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn json_reply(status: u16, v: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(Body::from(serde_json::to_vec(v).unwrap_or_default()))
        .unwrap_or_default()
}

fn yaml_reply<T: serde::Serialize>(v: &T) -> Reply {
    let body = serde_norway::to_string(v).map_err(|e| (500, e.to_string()))?;
    Ok(Response::builder()
        .status(200)
        .header("Content-Type", "application/yaml")
        .body(Body::from(body))
        .unwrap_or_default())
}

fn finish(r: Reply) -> Response {
    r.unwrap_or_else(|(status, msg)| text(status, &msg))
}

/// Query-string pairs, plus form pairs of a POST body (Loki accepts both).
fn params(raw: Option<String>, method: &Method, body: &Bytes) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = raw
        .and_then(|q| serde_urlencoded::from_str(&q).ok())
        .unwrap_or_default();
    if method == Method::POST
        && let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
    {
        out.extend(form);
    }
    out
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Unix nanoseconds from Loki's accepted forms: integer nanoseconds (or seconds when ten digits
/// or fewer), fractional seconds, or RFC 3339.
fn parse_time(s: &str) -> Option<i128> {
    if let Ok(n) = s.parse::<i128>() {
        return Some(if s.trim_start_matches('-').len() <= 10 {
            n * 1_000_000_000
        } else {
            n
        });
    }
    if let Ok(f) = s.parse::<f64>() {
        return Some((f * 1e9) as i128);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

fn time_param(q: &[(String, String)], name: &str, default: i128) -> Result<i128, (u16, String)> {
    match param(q, name) {
        None | Some("") => Ok(default),
        Some(v) => parse_time(v).ok_or((400, format!("cannot parse {v:?} to a valid timestamp"))),
    }
}

async fn buildinfo() -> Response {
    json_reply(
        200,
        &json!({"version": "3.4.6", "revision": "gemscope-testkit", "branch": "", "buildUser": "", "buildDate": "", "goVersion": ""}),
    )
}

async fn push(State(loki): State<Shared>, body: Bytes) -> Response {
    let now = loki.now_ns();
    finish((|| {
        lock(&loki.store)?.push(&body, now).map_err(|e| (400, e))?;
        Ok(Response::builder()
            .status(204)
            .body(Body::empty())
            .unwrap_or_default())
    })())
}

/// Seconds for a JSON sample timestamp: an integer when whole, else milliseconds precision.
fn sample_time(ns: i128) -> Value {
    let ms = ns / NS_PER_MS;
    number(ms as f64 / 1000.0)
}

fn stats() -> Value {
    json!({"summary": {"bytesProcessedPerSecond": 0, "linesProcessedPerSecond": 0, "totalBytesProcessed": 0,
        "totalLinesProcessed": 0, "execTime": 0, "queueTime": 0, "subqueries": 0, "totalEntriesReturned": 0,
        "splits": 0, "shards": 0, "totalPostFilterLines": 0, "totalStructuredMetadataBytesProcessed": 0}})
}

fn result(kind: &str, result: Value) -> Value {
    json!({"status": "success", "data": {"resultType": kind, "result": result, "stats": stats()}})
}

fn parse_query(q: &[(String, String)]) -> Result<Expr, (u16, String)> {
    let src = param(q, "query").ok_or((400, "query parameter is required\n".to_string()))?;
    logql::parse(src).map_err(|e| (400, e.to_string()))
}

async fn query(
    State(loki): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let q = params(raw, &method, &body);
    finish((|| {
        let expr = parse_query(&q)?;
        let at = time_param(&q, "time", loki.now_ns())?;
        let Expr::Metric(m) = expr else {
            return Err((
                400,
                "log queries are not supported as an instant query type, please change your query to a range query type".into(),
            ));
        };
        let value = eval::instant(&*lock(&loki.store)?, &m, at).map_err(|e| (400, e))?;
        Ok(json_reply(
            200,
            &match value {
                eval::Value::Scalar(s) => result("scalar", json!([sample_time(at), format_number(s)])),
                eval::Value::Vector(v) => result(
                    "vector",
                    Value::Array(
                        v.into_iter()
                            .map(|s| json!({"metric": s.labels, "value": [sample_time(at), format_number(s.value)]}))
                            .collect(),
                    ),
                ),
            },
        ))
    })())
}

fn step_ns(q: &[(String, String)], start: i128, end: i128) -> Result<i128, (u16, String)> {
    let Some(s) = param(q, "step").filter(|s| !s.is_empty()) else {
        // Loki's default: about 250 points, at least one second.
        let secs = ((end - start) as f64 / 1e9 / 250.0).ceil().max(1.0);
        return Ok(secs as i128 * 1_000_000_000);
    };
    let ms = match s.parse::<f64>() {
        Ok(secs) => (secs * 1000.0) as i128,
        Err(_) => duration::parse_ms(s)
            .map(|m| m as i128)
            .ok_or((400, format!("cannot parse {s:?} to a valid duration")))?,
    };
    if ms <= 0 {
        return Err((
            400,
            "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
        ));
    }
    Ok(ms * NS_PER_MS)
}

async fn query_range(
    State(loki): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let q = params(raw, &method, &body);
    finish((|| {
        let expr = parse_query(&q)?;
        let now = loki.now_ns();
        let end = time_param(&q, "end", now)?;
        let start = time_param(&q, "start", end - 3600 * 1_000_000_000)?;
        if end < start {
            return Err((
                400,
                "end timestamp must not be before or equal to start time".into(),
            ));
        }
        let store = lock(&loki.store)?;
        match expr {
            Expr::Log(log) => {
                let limit = match param(&q, "limit") {
                    Some(l) => l
                        .parse::<usize>()
                        .map_err(|_| (400, format!("invalid limit {l:?}")))?,
                    None => 100,
                };
                let direction = match param(&q, "direction") {
                    Some("forward") | Some("FORWARD") => Direction::Forward,
                    _ => Direction::Backward,
                };
                let streams = eval::select_logs(&store, &log, start, end, limit, direction)
                    .map_err(|e| (400, e))?;
                let result_streams: Vec<Value> = streams
                    .into_iter()
                    .map(|(labels, values)| {
                        let values: Vec<Value> = values
                            .into_iter()
                            .map(|(ts, line)| json!([ts.to_string(), line]))
                            .collect();
                        json!({"stream": labels, "values": values})
                    })
                    .collect();
                Ok(json_reply(
                    200,
                    &result("streams", Value::Array(result_streams)),
                ))
            }
            Expr::Metric(m) => {
                let step = step_ns(&q, start, end)?;
                let mut series: std::collections::BTreeMap<String, (Labels, Vec<Value>)> =
                    Default::default();
                // Evaluation times are aligned to the step, as Loki's query frontend aligns them.
                let mut t = start - start.rem_euclid(step);
                while t <= end {
                    let samples = match eval::instant(&store, &m, t).map_err(|e| (400, e))? {
                        eval::Value::Scalar(s) => vec![eval::Sample {
                            labels: Labels::new(),
                            value: s,
                        }],
                        eval::Value::Vector(v) => v,
                    };
                    for s in samples {
                        series
                            .entry(store::labels_string(&s.labels))
                            .or_insert_with(|| (s.labels.clone(), Vec::new()))
                            .1
                            .push(json!([sample_time(t), format_number(s.value)]));
                    }
                    t += step;
                }
                let matrix: Vec<Value> = series
                    .into_values()
                    .map(|(labels, values)| json!({"metric": labels, "values": values}))
                    .collect();
                Ok(json_reply(200, &result("matrix", Value::Array(matrix))))
            }
        }
    })())
}

const SIX_HOURS_NS: i128 = 6 * 3600 * 1_000_000_000;

/// Stream label sets with entries in the request's time range, optionally limited by selectors.
fn matching_streams(
    loki: &Loki,
    q: &[(String, String)],
    selector_params: &[&str],
) -> Result<Vec<Labels>, (u16, String)> {
    let now = loki.now_ns();
    let end = time_param(q, "end", now)?;
    let start = time_param(q, "start", end - SIX_HOURS_NS)?;
    let mut selectors = Vec::new();
    for (k, v) in q {
        if selector_params.contains(&k.as_str()) {
            match logql::parse(v).map_err(|e| (400, e.to_string()))? {
                Expr::Log(l) => selectors.push(l.selector),
                Expr::Metric(_) => return Err((400, format!("{k} must be a stream selector"))),
            }
        }
    }
    let store = lock(&loki.store)?;
    Ok(store
        .streams
        .iter()
        .filter(|s| s.entries.iter().any(|e| e.ts >= start && e.ts <= end))
        .filter(|s| {
            selectors.is_empty()
                || selectors.iter().any(|sel| {
                    sel.iter().all(|m| {
                        m.matches(
                            s.labels
                                .get(&m.name)
                                .map(String::as_str)
                                .unwrap_or_default(),
                        )
                    })
                })
        })
        .map(|s| s.labels.clone())
        .collect())
}

/// A sorted list without repeats, in Loki's `{"status": "success", "data": [...]}` envelope.
fn distinct<T: Ord + serde::Serialize>(mut items: Vec<T>) -> Response {
    items.sort();
    items.dedup();
    json_reply(200, &json!({"status": "success", "data": items}))
}

async fn labels(
    State(loki): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let q = params(raw, &method, &body);
    finish((|| {
        Ok(distinct(
            matching_streams(&loki, &q, &["query"])?
                .into_iter()
                .flat_map(|l| l.into_keys())
                .collect(),
        ))
    })())
}

async fn label_values(
    State(loki): State<Shared>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let q = params(raw, &method, &body);
    finish((|| {
        Ok(distinct(
            matching_streams(&loki, &q, &["query"])?
                .into_iter()
                .filter_map(|mut l| l.remove(&name))
                .collect(),
        ))
    })())
}

async fn series(
    State(loki): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let q = params(raw, &method, &body);
    finish((|| {
        Ok(distinct(matching_streams(
            &loki,
            &q,
            &["match[]", "match"],
        )?))
    })())
}

async fn all_rules(State(loki): State<Shared>) -> Response {
    finish((|| {
        let all = lock(&loki.ruler)?.all()?;
        if all.is_empty() {
            return Err((404, "no rule groups found\n".into()));
        }
        yaml_reply(&all)
    })())
}

async fn namespace_rules(State(loki): State<Shared>, Path(ns): Path<String>) -> Response {
    finish((|| {
        let groups = lock(&loki.ruler)?.namespace(&ns)?;
        yaml_reply(&std::collections::BTreeMap::from([(ns, groups)]))
    })())
}

async fn get_group(
    State(loki): State<Shared>,
    Path((ns, group)): Path<(String, String)>,
) -> Response {
    finish((|| yaml_reply(&lock(&loki.ruler)?.group(&ns, &group)?))())
}

fn accepted() -> Response {
    json_reply(202, &envelope(Value::Null))
}

async fn set_group(State(loki): State<Shared>, Path(ns): Path<String>, body: Bytes) -> Response {
    finish((|| {
        lock(&loki.ruler)?.set_group(&ns, &String::from_utf8_lossy(&body))?;
        Ok(accepted())
    })())
}

async fn delete_group(
    State(loki): State<Shared>,
    Path((ns, group)): Path<(String, String)>,
) -> Response {
    finish((|| {
        lock(&loki.ruler)?.delete_group(&ns, &group)?;
        Ok(accepted())
    })())
}

async fn delete_namespace(State(loki): State<Shared>, Path(ns): Path<String>) -> Response {
    finish((|| {
        lock(&loki.ruler)?.delete_namespace(&ns)?;
        Ok(accepted())
    })())
}

async fn prometheus_rules(State(loki): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let q = params(raw, &Method::GET, &Bytes::new());
    finish((|| {
        let body = lock(&loki.evaluations)?.rules_json(&*lock(&loki.ruler)?, &q);
        Ok(json_reply(200, &body))
    })())
}

async fn prometheus_alerts(State(loki): State<Shared>) -> Response {
    finish((|| {
        Ok(json_reply(200, &lock(&loki.evaluations)?.alerts_json()))
    })())
}
