//! The HTTP surface: the Leptos app and its server functions, the no-JavaScript sign-in forms,
//! `/healthz` and `/metrics`, with the cross-site guard and request metrics around all of it.

use std::net::SocketAddr;

use app::api::account::{preference_cookie_values, session_cookie};
use app::api::context::{ClientIp, Credentials, SESSION_COOKIE, cookie, request_lang};
use app::error::Code;
use app::i18n::localize;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;

use crate::auth::guard::same_origin_only;
use crate::db::pool_stats;
use crate::state::AppState;
use crate::telemetry::track;

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let quota = state.query_quota.clone();
    let options = state.leptos.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/login", post(form_login))
        .route("/logout", post(form_logout))
        .route("/api/notify/{channel}/{token}", post(notify))
        .route("/api/alertmanager/webhook", post(history))
        .route("/api/messages/stream", get(message_stream))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(services.clone());
                provide_context(quota.clone());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(align_error_status))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_only,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), client_ip))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Headers on every answer: no MIME sniffing, no referrer to other sites, never framed. Pages set
/// their own Content-Security-Policy with the response's script nonce; anything else (JSON, files,
/// errors) gets one that allows nothing to run.
async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    res
}

/// Puts the peer address where server functions can read it.
async fn client_ip(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let ip = state.trusted_proxies.client(peer, forwarded);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Server functions answer every failure with 500, including malformed arguments that are
/// decoded before our code runs. The body is always an `ApiError`; make the HTTP status match it.
async fn align_error_status(req: Request<Body>, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Some(status) = serde_json::from_slice::<app::error::ApiError>(&bytes)
        .ok()
        .and_then(|e| StatusCode::from_u16(e.status).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok" })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "database unreachable" })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(want) = state
        .config
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::auth::token::same(given.as_bytes(), want.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the metrics token",
            )
                .into_response();
        }
    }
    let (open, idle) = pool_stats(&state.db);
    let body = state.metrics.render(open, idle);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, v);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// The sign-in form's target when JavaScript is off: same checks as the JSON endpoint.
async fn form_login(
    State(state): State<AppState>,
    axum::Extension(ClientIp(ip)): axum::Extension<ClientIp>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    match state
        .services
        .account
        .login(&form.username, &form.password, &ip)
        .await
    {
        Ok((me, session)) => {
            let mut cookies = vec![session_cookie(
                &session.token,
                session.max_age_secs,
                state.config.secure_cookies(),
            )];
            cookies.extend(preference_cookie_values(me.language, me.theme));
            redirect("/", &cookies)
        }
        Err(e) => {
            let message = localize(request_lang(&parts_of(headers)), &e);
            let q = serde_urlencoded::to_string([("error", message.as_str())]).unwrap_or_default();
            redirect(&format!("/login?{q}"), &[])
        }
    }
}

/// Request parts carrying only these headers, for the helpers that read cookies from parts.
fn parts_of(headers: HeaderMap) -> axum::http::request::Parts {
    let mut req = Request::new(());
    *req.headers_mut() = headers;
    req.into_parts().0
}

async fn form_logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let parts = parts_of(headers);
    let creds = Credentials::from_parts(&parts);
    if let Ok(caller) = state.services.account.authenticate(&creds).await {
        let token = cookie(&parts, SESSION_COOKIE).unwrap_or_default();
        let result = state.services.account.logout(&token).await;
        let record = app::api::context::AuditRecord::of(
            Some((caller.user_id, &caller.username)),
            &caller.username,
            &caller.ip,
            "auth.logout",
            format!("user/{}", caller.username),
            None,
            &result,
        );
        state.services.audit.record(record).await;
    }
    redirect(
        "/login",
        &[session_cookie("", 0, state.config.secure_cookies())],
    )
}

/// The notify endpoint clusters' Alertmanagers post to: one channel, authenticated by the
/// token in its URL. 200 once delivered; 502 when delivery failed, so Alertmanager retries.
async fn notify(
    State(state): State<AppState>,
    axum::extract::Path((channel, token)): axum::extract::Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Response {
    use app::error::{ApiError, Code};
    let fail = |e: ApiError| (e.status_code(), axum::Json(e)).into_response();
    let raw: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return fail(ApiError::invalid("body", Code::NotJson).arg(e)),
    };
    match state.notifier.receive(channel, &token, raw, false).await {
        Ok(d) if d.ok => {
            axum::Json(serde_json::json!({"status": "delivered", "delivery": d})).into_response()
        }
        Ok(d) => fail(
            ApiError::new(StatusCode::BAD_GATEWAY, Code::DeliveryFailed)
                .arg(&d.upstream)
                .arg(&d.error),
        ),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct HistoryQuery {
    cluster: i64,
    /// The namespace the token was issued for (URLs from before per-namespace tokens lack it
    /// and are refused: their cluster-wide token could post for any tenant).
    #[serde(default)]
    namespace: String,
    token: String,
}

/// Gemscope's history receiver: every alert of a cluster, stored once per status.
async fn history(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<HistoryQuery>,
    body: axum::body::Bytes,
) -> Response {
    use app::error::ApiError;
    let fail = |e: ApiError| (e.status_code(), axum::Json(e)).into_response();
    let group: crate::channels::payload::Group = match serde_json::from_slice(&body) {
        Ok(g) => g,
        Err(e) => {
            return fail(ApiError::invalid("body", Code::NotWebhookPayload).arg(e));
        }
    };
    match crate::channels::history::ingest(
        &state.db,
        &state.notifier.secrets,
        q.cluster,
        &q.namespace,
        &q.token,
        &group,
    )
    .await
    {
        Ok(stored) => {
            state.alert_centre.changed();
            axum::Json(stored).into_response()
        }
        Err(e) => fail(e),
    }
}

/// The message centre's live count: a server-sent event `unread` with the caller's unread count,
/// sent at once, after every stored webhook or change, and at least every 15 s (which also picks
/// up what other replicas stored). Unchanged counts are not sent again.
async fn message_stream(State(state): State<AppState>, req: Request<Body>) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let (parts, _) = req.into_parts();
    let creds = Credentials::from_parts(&parts);
    let account = state.services.account.clone();
    let caller = match account.authenticate(&creds).await {
        Ok(c) => c,
        Err(e) => return (e.status_code(), axum::Json(e)).into_response(),
    };
    let Some(slot) = state.streams.take(caller.user_id) else {
        let e = app::error::ApiError::new(StatusCode::TOO_MANY_REQUESTS, Code::TooManyStreams);
        return (e.status_code(), axum::Json(e)).into_response();
    };
    let centre = state.alert_centre.clone();
    let events = centre.events.subscribe();
    let stream = futures_util::stream::unfold(
        (events, None::<u64>, true, slot),
        move |(mut events, last, first, slot)| {
            let centre = centre.clone();
            let account = account.clone();
            let creds = creds.clone();
            let user = caller.user_id;
            async move {
                let mut wait = !first;
                loop {
                    if wait {
                        tokio::select! {
                            r = events.recv() => {
                                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                                    return None;
                                }
                            }
                            _ = tokio::time::sleep(std::time::Duration::from_secs(15)) => {}
                        }
                    }
                    wait = true;
                    // A logged-out session (or a revoked token) ends its stream.
                    if account.authenticate(&creds).await.is_err() {
                        return None;
                    }
                    let Ok(count) = centre.unread_of(user).await else {
                        continue;
                    };
                    if last != Some(count) {
                        let event = Event::default().event("unread").data(count.to_string());
                        return Some((
                            Ok::<_, std::convert::Infallible>(event),
                            (events, Some(count), false, slot),
                        ));
                    }
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
