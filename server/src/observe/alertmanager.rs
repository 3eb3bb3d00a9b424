//! Alertmanager's API v2 (silences), through the cluster's endpoint. KubeGems' agent used API v1,
//! which Alertmanager 0.27 removed (inventory §12.11).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::endpoint::{Endpoint, EndpointError};

/// Why a call to Alertmanager failed; `endpoint` is the URL (without credentials) or service.
#[derive(Debug, Error)]
pub enum AlertmanagerError {
    /// Nothing usable answered, or it answered with an error status.
    #[error("Alertmanager ({endpoint}): {what}: {source}")]
    Call {
        endpoint: String,
        what: &'static str,
        #[source]
        source: EndpointError,
    },
    /// It answered success with something that is not its API's document.
    #[error("Alertmanager ({endpoint}): {what}: the answer is not Alertmanager's: {detail}")]
    Malformed {
        endpoint: String,
        what: &'static str,
        detail: String,
    },
    /// The request could not be encoded.
    #[error("Alertmanager: encoding the request: {0}")]
    Encode(String),
}

/// Alertmanager is upstream of Gemscope: its failures are a bad gateway, with the causes logged.
impl From<AlertmanagerError> for app::error::ApiError {
    fn from(e: AlertmanagerError) -> Self {
        tracing::warn!(error = %super::error_chain(&e), "Alertmanager call failed");
        app::error::ApiError::new(http::StatusCode::BAD_GATEWAY, app::error::Code::Upstream).arg(e)
    }
}

const TIMEOUT: Duration = Duration::from_secs(15);

pub struct Alertmanager {
    pub endpoint: Endpoint,
    pub http: reqwest::Client,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SilenceMatcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl SilenceMatcher {
    pub fn eq(name: &str, value: &str) -> Self {
        SilenceMatcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SilenceStatus {
    #[serde(default)]
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    #[serde(default)]
    pub matchers: Vec<SilenceMatcher>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub status: SilenceStatus,
}

impl Silence {
    /// Active or pending: expired silences stay listed for a while but do nothing.
    pub fn in_force(&self) -> bool {
        matches!(self.status.state.as_str(), "active" | "pending")
    }

    /// Exactly these equality matchers, in any order.
    pub fn matches_exactly(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.len() == labels.len()
            && self
                .matchers
                .iter()
                .all(|m| !m.is_regex && m.is_equal && labels.get(&m.name) == Some(&m.value))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSilence<'a> {
    matchers: &'a [SilenceMatcher],
    starts_at: String,
    ends_at: String,
    created_by: &'a str,
    comment: &'a str,
}

pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl Alertmanager {
    fn answer(
        &self,
        what: &'static str,
        r: Result<(u16, String), EndpointError>,
    ) -> Result<String, AlertmanagerError> {
        let call = |source| AlertmanagerError::Call {
            endpoint: self.endpoint.describe(),
            what,
            source,
        };
        let (status, body) = r.map_err(call)?;
        if !(200..300).contains(&status) {
            return Err(call(EndpointError::Status { status, body }));
        }
        Ok(body)
    }

    fn malformed(&self, what: &'static str, e: impl std::fmt::Display) -> AlertmanagerError {
        AlertmanagerError::Malformed {
            endpoint: self.endpoint.describe(),
            what,
            detail: e.to_string(),
        }
    }

    /// Silences in force whose matchers include each `name="value"` filter.
    pub async fn silences(
        &self,
        filters: &[(&str, &str)],
    ) -> Result<Vec<Silence>, AlertmanagerError> {
        let query: Vec<(&str, String)> = filters
            .iter()
            .map(|(k, v)| {
                (
                    "filter",
                    format!("{k}={}", app::domain::promql_scope::quote(v)),
                )
            })
            .collect();
        let qs = serde_urlencoded::to_string(&query)
            .map_err(|e| AlertmanagerError::Encode(e.to_string()))?;
        let path = if qs.is_empty() {
            "/api/v2/silences".to_string()
        } else {
            format!("/api/v2/silences?{qs}")
        };
        let r = self.endpoint.fetch(&self.http, &path, Some(TIMEOUT)).await;
        let body = self.answer("listing silences", r)?;
        let all: Vec<Silence> =
            serde_json::from_str(&body).map_err(|e| self.malformed("listing silences", e))?;
        Ok(all.into_iter().filter(Silence::in_force).collect())
    }

    /// Creates a silence from now until `until`; returns its id.
    pub async fn create(
        &self,
        matchers: &[SilenceMatcher],
        until: chrono::DateTime<chrono::Utc>,
        created_by: &str,
        comment: &str,
    ) -> Result<String, AlertmanagerError> {
        let body = serde_json::to_string(&NewSilence {
            matchers,
            starts_at: rfc3339(chrono::Utc::now()),
            ends_at: rfc3339(until),
            created_by,
            comment,
        })
        .map_err(|e| AlertmanagerError::Encode(e.to_string()))?;
        let r = self
            .endpoint
            .send(
                &self.http,
                http::Method::POST,
                "/api/v2/silences",
                Some(body),
                Some(TIMEOUT),
            )
            .await;
        let body = self.answer("creating a silence", r)?;
        let v: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| self.malformed("creating a silence", e))?;
        match v["silenceID"].as_str() {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            _ => Err(self.malformed("creating a silence", "no silenceID")),
        }
    }

    /// Expires a silence; one already gone counts as expired.
    pub async fn expire(&self, id: &str) -> Result<(), AlertmanagerError> {
        let r = self
            .endpoint
            .send(
                &self.http,
                http::Method::DELETE,
                &format!("/api/v2/silence/{}", urlencoding_path(id)),
                None,
                Some(TIMEOUT),
            )
            .await;
        match r {
            Ok((404, _)) => Ok(()),
            other => self.answer("expiring a silence", other).map(|_| ()),
        }
    }
}

/// Silence ids are UUIDs; anything else is refused rather than put into a path.
fn urlencoding_path(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}
