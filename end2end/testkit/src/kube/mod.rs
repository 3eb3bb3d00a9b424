//! A fake Kubernetes API server, in memory, that kube-rs talks to over HTTP as to a real one.
//! Its answers follow the recordings of kube-apiserver 1.36 in `fixtures/kube/`
//! (`tests/kube_contract.rs` replays them).

pub mod catalog;
pub mod fields;
pub mod status;
pub mod store;
pub mod validate;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;

use catalog::{Catalog, Resource};
use status::Reply;
use store::{FieldValidation, Filter, Store, Write};

/// Faults to inject, for reliability tests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests (0.0–1.0) answered with a 500 InternalError Status.
    pub error_rate: f64,
    /// Added to every answer.
    pub latency: Duration,
    /// Writes (POST, PUT, PATCH) to this resource (plural, e.g. `alertmanagerconfigs`) are
    /// refused with 422 Invalid, as an admission webhook or schema would.
    pub reject_writes_to: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The bearer token clients must send; `None` lets everyone in.
    pub token: Option<String>,
    pub faults: Faults,
}

pub struct Fake {
    catalog: Catalog,
    store: Mutex<Store>,
    options: Mutex<Options>,
    http: reqwest::Client,
    requests: AtomicU64,
    writes: AtomicU64,
}

pub type Shared = Arc<Fake>;

impl Fake {
    pub fn new(options: Options) -> anyhow::Result<Shared> {
        // reqwest needs a process-wide provider; an error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Arc::new(Fake {
            catalog: Catalog::load()?,
            store: Mutex::new(Store::new()),
            options: Mutex::new(options),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }))
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut o) = self.options.lock() {
            o.faults = faults;
        }
    }

    fn options(&self) -> Options {
        self.options.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// The store, or the 500 a real server would answer if it could not reach its storage.
    fn store(&self) -> Result<std::sync::MutexGuard<'_, Store>, Reply> {
        self.store
            .lock()
            .map_err(|_| status::internal("store lock poisoned"))
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// How many requests arrived, for tests that check a client did (or did not) call.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many writes (anything but GET and HEAD) arrived, counted before faults apply.
    pub fn write_count(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

pub fn router(fake: Shared) -> Router {
    Router::new().fallback(handle).with_state(fake)
}

/// Serves the fake on `addr` until the returned task is dropped or aborted.
pub async fn serve(
    addr: SocketAddr,
    options: Options,
) -> anyhow::Result<(SocketAddr, Shared, tokio::task::JoinHandle<()>)> {
    let fake = Fake::new(options)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(fake.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bound, fake, task))
}

fn json_response(reply: Reply) -> Response {
    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let mut b = Response::builder()
        .status(reply.status)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private")
        .header("X-Content-Type-Options", "nosniff");
    for w in &reply.warnings {
        b = b.header("Warning", format!("299 - {}", Value::String(w.clone())));
    }
    b.body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// What a path names.
enum Target<'a> {
    Version,
    Discovery(Value),
    Collection {
        res: &'a Resource,
        ns: Option<String>,
    },
    Object {
        res: &'a Resource,
        ns: Option<String>,
        name: String,
    },
    ServiceProxy {
        ns: String,
        service: String,
        port: String,
        rest: String,
    },
    Unknown,
}

fn route<'a>(catalog: &'a Catalog, path: &str) -> Target<'a> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] => return Target::Version,
        ["api"] => return Target::Discovery(catalog.recorded.api.clone()),
        ["api", "v1"] => return Target::Discovery(catalog.recorded.api_v1.clone()),
        ["apis"] => return Target::Discovery(catalog.recorded.apis.clone()),
        ["apis", g] => {
            return catalog
                .api_group(g)
                .map(Target::Discovery)
                .unwrap_or(Target::Unknown);
        }
        ["apis", g, v] => {
            return catalog
                .resource_list(g, v)
                .map(Target::Discovery)
                .unwrap_or(Target::Unknown);
        }
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return Target::Unknown,
    };
    let find = |plural: &str| catalog.find(group, version, plural);
    match rest {
        ["namespaces", ns, "services", svc, "proxy", tail @ ..] if group.is_empty() => {
            let (service, port) = svc.split_once(':').unwrap_or((svc, ""));
            Target::ServiceProxy {
                ns: ns.to_string(),
                service: service.to_string(),
                port: port.to_string(),
                rest: tail.join("/"),
            }
        }
        ["namespaces", ns, plural] => match find(plural) {
            Some(res) if res.namespaced => Target::Collection {
                res,
                ns: Some(ns.to_string()),
            },
            _ => Target::Unknown,
        },
        ["namespaces", ns, plural, name] | ["namespaces", ns, plural, name, "status"] => {
            match find(plural) {
                Some(res) if res.namespaced => Target::Object {
                    res,
                    ns: Some(ns.to_string()),
                    name: name.to_string(),
                },
                _ => Target::Unknown,
            }
        }
        [plural] => match find(plural) {
            Some(res) => Target::Collection { res, ns: None },
            None => Target::Unknown,
        },
        [plural, name] | [plural, name, "status"] => match find(plural) {
            Some(res) if !res.namespaced => Target::Object {
                res,
                ns: None,
                name: name.to_string(),
            },
            _ => Target::Unknown,
        },
        _ => Target::Unknown,
    }
}

fn verb(method: &Method, collection: bool, watch: bool) -> &'static str {
    match *method {
        Method::GET if watch => "watch",
        Method::GET if collection => "list",
        Method::GET => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "get",
    }
}

/// A cheap pseudo-random number in [0, 1) for fault injection; no need for quality here.
fn chance() -> f64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

async fn handle(
    State(fake): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.requests.fetch_add(1, Ordering::Relaxed);
    let is_write = !matches!(method, Method::GET | Method::HEAD);
    if is_write {
        fake.writes.fetch_add(1, Ordering::Relaxed);
    }
    let options = fake.options();
    if !options.faults.latency.is_zero() {
        tokio::time::sleep(options.faults.latency).await;
    }
    if options.faults.error_rate > 0.0 && chance() < options.faults.error_rate {
        return json_response(status::internal("injected fault"));
    }
    if let Some(plural) = &options.faults.reject_writes_to
        && is_write
        && method != Method::DELETE
        && uri.path().contains(&format!("/{plural}"))
    {
        return json_response(status::injected_invalid(plural));
    }
    let q = query_pairs(&uri);
    let target = route(&fake.catalog, uri.path());

    // Authentication: a wrong token is 401; no token is the anonymous user, whom RBAC refuses (403).
    if let Some(token) = &options.token
        && !matches!(target, Target::Version)
    {
        match headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            Some(t) if t == token => {}
            Some(_) => return json_response(status::unauthorized()),
            None => {
                let (plural, group, ns, collection) = match &target {
                    Target::Collection { res, ns } => {
                        (res.plural.as_str(), res.group.as_str(), ns.as_deref(), true)
                    }
                    Target::Object { res, ns, .. } => (
                        res.plural.as_str(),
                        res.group.as_str(),
                        ns.as_deref(),
                        false,
                    ),
                    _ => ("", "", None, false),
                };
                let watch = param(&q, "watch").is_some_and(|w| w == "1" || w == "true");
                return json_response(status::forbidden_anonymous(
                    verb(&method, collection, watch),
                    plural,
                    group,
                    ns,
                ));
            }
        }
    }

    match target {
        Target::Version => Response::builder()
            .header("Content-Type", "application/json")
            .body(Body::from(fake.catalog.recorded.version.to_string()))
            .unwrap_or_else(|_| Response::new(Body::empty())),
        Target::Discovery(doc) => json_response(Reply::ok(StatusCode::OK, doc)),
        Target::Unknown => json_response(status::path_not_found(uri.path())),
        Target::ServiceProxy {
            ns,
            service,
            port,
            rest,
        } => service_proxy(&fake, &method, &uri, &ns, &service, &port, &rest, body).await,
        Target::Collection { res, ns } => {
            collection(&fake, &method, &headers, &q, res, ns.as_deref(), &body).await
        }
        Target::Object { res, ns, name } => json_response(object(
            &fake,
            &method,
            &headers,
            &q,
            res,
            ns.as_deref(),
            &name,
            &body,
        )),
    }
}

fn field_manager(headers: &HeaderMap, q: &[(String, String)]) -> String {
    if let Some(m) = param(q, "fieldManager") {
        return m.to_string();
    }
    // The API server names non-apply writers after their User-Agent, up to the first '/'.
    headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.split('/').next().unwrap_or(ua).to_string())
        .unwrap_or_default()
}

fn field_validation(q: &[(String, String)]) -> FieldValidation {
    match param(q, "fieldValidation") {
        Some("Strict") => FieldValidation::Strict,
        Some("Ignore") => FieldValidation::Ignore,
        _ => FieldValidation::Warn,
    }
}

fn parse_body(body: &[u8], yaml: bool) -> Result<Value, Reply> {
    let parsed = if yaml {
        serde_norway::from_slice::<Value>(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| status::bad_request(&format!("error decoding request body: {e}")))
}

async fn collection(
    fake: &Shared,
    method: &Method,
    headers: &HeaderMap,
    q: &[(String, String)],
    res: &Resource,
    ns: Option<&str>,
    body: &[u8],
) -> Response {
    let selector = param(q, "labelSelector").unwrap_or_default().to_string();
    match *method {
        Method::GET if param(q, "watch").is_some_and(|w| w == "1" || w == "true") => {
            let rv = param(q, "resourceVersion")
                .filter(|v| !v.is_empty() && *v != "0")
                .and_then(|v| v.parse::<u64>().ok());
            let timeout = param(q, "timeoutSeconds")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(1800);
            watch(
                fake,
                res,
                Filter::new(res, ns, &selector),
                rv,
                Duration::from_secs(timeout),
            )
        }
        Method::GET => {
            let store = match fake.store() {
                Ok(s) => s,
                Err(r) => return json_response(r),
            };
            let limit = param(q, "limit").and_then(|l| l.parse().ok());
            json_response(store.list(
                res,
                &Filter::new(res, ns, &selector),
                limit,
                param(q, "continue"),
            ))
        }
        Method::POST => {
            let obj = match parse_body(body, false) {
                Ok(o) => o,
                Err(r) => return json_response(r),
            };
            let manager = field_manager(headers, q);
            let mut store = match fake.store() {
                Ok(s) => s,
                Err(r) => return json_response(r),
            };
            json_response(store.create(
                &Write {
                    res,
                    namespace: ns,
                    manager: &manager,
                    validation: field_validation(q),
                },
                obj,
            ))
        }
        _ => json_response(status::method_not_allowed()),
    }
}

#[allow(clippy::too_many_arguments)]
fn object(
    fake: &Shared,
    method: &Method,
    headers: &HeaderMap,
    q: &[(String, String)],
    res: &Resource,
    ns: Option<&str>,
    name: &str,
    body: &[u8],
) -> Reply {
    let manager = field_manager(headers, q);
    let w = Write {
        res,
        namespace: ns,
        manager: &manager,
        validation: field_validation(q),
    };
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let mut store = match fake.store() {
        Ok(s) => s,
        Err(r) => return r,
    };
    match *method {
        Method::GET => store.get(res, ns, name),
        Method::DELETE => store.delete(res, ns, name),
        Method::PUT => match parse_body(body, false) {
            Ok(obj) => store.update(&w, name, None, obj),
            Err(r) => r,
        },
        Method::PATCH => match content_type.as_str() {
            "application/apply-patch+yaml" => {
                if param(q, "fieldManager").is_none() {
                    return status::bad_request(
                        "PATCH, application/apply-patch+yaml requests must have fieldManager",
                    );
                }
                match parse_body(body, true) {
                    Ok(obj) => {
                        let force = param(q, "force").is_some_and(|f| f == "true");
                        store.apply(&w, name, obj, force)
                    }
                    Err(r) => r,
                }
            }
            "application/merge-patch+json" => match parse_body(body, false) {
                Ok(patch) => store.update(&w, name, Some(&patch), Value::Null),
                Err(r) => r,
            },
            other => status::unsupported_media(other),
        },
        _ => status::method_not_allowed(),
    }
}

/// A watch: one compact JSON event per HTTP chunk, each ending in `\n` (recorded 20 and 48).
fn watch(
    fake: &Shared,
    res: &Resource,
    filter: Filter,
    rv: Option<u64>,
    timeout: Duration,
) -> Response {
    let started = match fake.store() {
        Ok(store) => store.watch_from(&filter, rv),
        Err(r) => return json_response(r),
    };
    let chunk = |kind: &str, object: &Value| {
        Bytes::from(format!(
            "{}\n",
            serde_json::json!({"type": kind, "object": object})
        ))
    };
    let stream_body = match started {
        Err(expired) => Body::from(chunk("ERROR", &expired)),
        Ok((backlog, rx)) => {
            let deadline = tokio::time::Instant::now() + timeout;
            let relevant = move |e: &store::Event| filter.matches_event(e);
            let api_version = Value::String(res.api_version());
            let versioned = move |o: &Value| {
                let mut o = o.clone();
                o["apiVersion"] = api_version.clone();
                o
            };
            let first: Vec<Bytes> = backlog
                .iter()
                .map(|e| chunk(e.kind, &versioned(&e.object)))
                .collect();
            let live = futures_util::stream::unfold(
                (rx, relevant, versioned),
                move |(mut rx, relevant, versioned)| async move {
                    loop {
                        let next = tokio::time::timeout_at(deadline, rx.recv()).await;
                        match next {
                            Ok(Ok(e)) if relevant(&e) => {
                                let c = chunk(e.kind, &versioned(&e.object));
                                return Some((
                                    Ok::<Bytes, std::io::Error>(c),
                                    (rx, relevant, versioned),
                                ));
                            }
                            Ok(Ok(_))
                            | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                                continue;
                            }
                            _ => return None,
                        }
                    }
                },
            );
            let head =
                futures_util::stream::iter(first.into_iter().map(Ok::<Bytes, std::io::Error>));
            Body::from_stream(futures_util::StreamExt::chain(head, live))
        }
    };
    Response::builder()
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private")
        .body(stream_body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// `…/services/{name}:{port}/proxy/…`: forwards to the first ready address of the Service's
/// Endpoints, answering as the API server does when there is no Service (404) or no address (503).
#[allow(clippy::too_many_arguments)]
async fn service_proxy(
    fake: &Shared,
    method: &Method,
    uri: &Uri,
    ns: &str,
    service: &str,
    port: &str,
    rest: &str,
    body: Bytes,
) -> Response {
    let upstream = {
        let store = match fake.store() {
            Ok(s) => s,
            Err(r) => return json_response(r),
        };
        let services = fake.catalog.find("", "v1", "services");
        let endpoints = fake.catalog.find("", "v1", "endpoints");
        let (Some(services), Some(endpoints)) = (services, endpoints) else {
            return json_response(status::internal("core resources missing"));
        };
        let svc = store.object(services, Some(ns), service).cloned();
        let eps = store.object(endpoints, Some(ns), service).cloned();
        let (Some(svc), Some(eps)) = (svc, eps) else {
            return json_response(status::service_not_found(service));
        };
        let svc_port = svc["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| {
                port.is_empty()
                    || p["port"].as_u64().map(|n| n.to_string()).as_deref() == Some(port)
                    || p["name"] == port
            })
            .cloned();
        let subset = eps["subsets"].as_array().and_then(|s| s.first()).cloned();
        let address = subset
            .as_ref()
            .and_then(|s| s["addresses"].as_array().and_then(|a| a.first()))
            .and_then(|a| a["ip"].as_str())
            .map(str::to_string);
        let target_port = subset.as_ref().and_then(|s| {
            let ports = s["ports"].as_array()?;
            let named = svc_port
                .as_ref()
                .and_then(|p| p["name"].as_str())
                .and_then(|n| ports.iter().find(|p| p["name"] == n));
            named.or(ports.first()).and_then(|p| p["port"].as_u64())
        });
        match (address, target_port) {
            (Some(ip), Some(p)) => format!("http://{ip}:{p}/{rest}"),
            _ => return json_response(status::no_endpoints(service)),
        }
    };
    let url = match uri.query() {
        Some(q) => format!("{upstream}?{q}"),
        None => upstream,
    };
    let sent = fake
        .http
        .request(method.clone(), &url)
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status();
            let ct = r.headers().get("content-type").cloned();
            let bytes = r.bytes().await.unwrap_or_default();
            let mut b = Response::builder().status(status);
            if let Some(ct) = ct {
                b = b.header("Content-Type", ct);
            }
            b.body(Body::from(bytes))
                .unwrap_or_else(|_| Response::new(Body::empty()))
        }
        Err(e) => json_response(status::internal(&format!(
            "error trying to reach service: {e}"
        ))),
    }
}
