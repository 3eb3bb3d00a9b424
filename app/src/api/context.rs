//! Server-side plumbing shared by every server function: who is calling, which services answer,
//! how errors become HTTP statuses, and the audit trail.

use std::future::Future;
use std::sync::Arc;

use http::request::Parts;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::{
    account::AccountPort, alert_rules::AlertRulesPort, alerts::AlertCentrePort, audit::AuditPort,
    channels::ChannelsPort, clusters::ClustersPort, collectors::CollectorsPort,
    dashboards::DashboardsPort, jobs::JobsPort, metrics::MetricsPort, templates::TemplatesPort,
    tenancy::TenancyPort, users::UsersPort,
};
use crate::error::ApiError;
use crate::i18n::{Lang, localize};

pub const SESSION_COOKIE: &str = "gs_session";
pub const LANG_COOKIE: &str = "gs_lang";
pub const THEME_COOKIE: &str = "gs_theme";

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub is_system_admin: bool,
    pub ip: String,
}

/// What the request presented to prove who it is.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub session: Option<String>,
    pub bearer: Option<String>,
    pub ip: String,
}

impl Credentials {
    pub fn from_parts(parts: &Parts) -> Self {
        let bearer = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| v.trim().to_string());
        Credentials {
            session: cookie(parts, SESSION_COOKIE),
            bearer,
            ip: client_ip(parts),
        }
    }
}

/// The ports, provided to every server function as context.
#[derive(Clone)]
pub struct Services {
    pub account: Arc<dyn AccountPort>,
    pub tenancy: Arc<dyn TenancyPort>,
    pub clusters: Arc<dyn ClustersPort>,
    pub users: Arc<dyn UsersPort>,
    pub audit: Arc<dyn AuditPort>,
    pub templates: Arc<dyn TemplatesPort>,
    pub metrics: Arc<dyn MetricsPort>,
    pub dashboards: Arc<dyn DashboardsPort>,
    pub collectors: Arc<dyn CollectorsPort>,
    pub channels: Arc<dyn ChannelsPort>,
    pub alert_rules: Arc<dyn AlertRulesPort>,
    pub alert_centre: Arc<dyn AlertCentrePort>,
    pub jobs: Arc<dyn JobsPort>,
}

/// The client address; the server's middleware puts it into the request extensions.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ClientIp>()
        .map(|c| c.0.clone())
        .unwrap_or_default()
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn request_parts() -> Result<Parts, ApiError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("server function called without request parts in context");
        ApiError::internal()
    })
}

pub fn services() -> Result<Services, ApiError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("server function called without services in context");
        ApiError::internal()
    })
}

/// The authenticated caller, or 401.
pub async fn caller() -> Result<Caller, ApiError> {
    let creds = Credentials::from_parts(&request_parts()?);
    services()?.account.authenticate(&creds).await
}

/// The language of the caller: the preference cookie, else Accept-Language.
pub fn request_lang(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_else(|| {
            let header = parts
                .headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Lang::from_accept_language(header)
        })
}

/// Runs a server function body; an error gets the HTTP status it carries and a message in the
/// caller's language.
pub async fn respond<T>(body: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    let mut result = body.await;
    if let Err(e) = &mut result {
        // Absent only when a server function runs outside a request (a fetch that outlived
        // its page render): the error still reaches the caller, and nothing panics.
        match use_context::<ResponseOptions>() {
            Some(options) => options.set_status(e.status_code()),
            None => tracing::warn!(status = e.status, "server function error outside a request"),
        }
        if let Some(parts) = use_context::<Parts>() {
            e.message = localize(request_lang(&parts), e);
        }
    }
    result
}

/// What a mutation is about, for the audit log.
/// An object whose tenant an audit row records, looked up before the mutation runs.
#[derive(Debug, Clone, Copy)]
pub enum Owned {
    Environment(i64),
    Dashboard(i64),
}

pub struct AuditTarget<'a> {
    pub action: &'a str,
    pub target: String,
    pub tenant_id: Option<i64>,
}

/// One audit row per mutation, written whether it succeeded or not.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub target: String,
    pub tenant_id: Option<i64>,
    pub success: bool,
    pub detail: String,
    pub ip: String,
}

impl AuditRecord {
    /// The row for one attempt, successful or not; a failure keeps its message as the detail.
    pub fn of<T>(
        user: Option<(i64, &str)>,
        username: &str,
        ip: &str,
        action: &str,
        target: String,
        tenant_id: Option<i64>,
        result: &Result<T, ApiError>,
    ) -> Self {
        AuditRecord {
            user_id: user.map(|(id, _)| id),
            username: user.map(|(_, n)| n).unwrap_or(username).to_string(),
            action: action.to_string(),
            target,
            tenant_id,
            success: result.is_ok(),
            detail: result
                .as_ref()
                .err()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            ip: ip.to_string(),
        }
    }
}

pub async fn audited<T>(
    caller: &Caller,
    what: AuditTarget<'_>,
    body: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let result = body.await;
    let record = AuditRecord::of(
        Some((caller.user_id, &caller.username)),
        &caller.username,
        &caller.ip,
        what.action,
        what.target,
        what.tenant_id,
        &result,
    );
    services()?.audit.record(record).await;
    result
}

/// Adds a Set-Cookie header to the server function's response.
pub fn set_cookie(value: &str) {
    if let Ok(v) = http::HeaderValue::from_str(value) {
        match use_context::<ResponseOptions>() {
            Some(options) => options.append_header(http::header::SET_COOKIE, v),
            None => tracing::error!("set_cookie called outside a request"),
        }
    }
}
