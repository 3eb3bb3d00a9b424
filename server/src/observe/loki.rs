//! Loki's query API (`/loki/api/v1/query`, `query_range`) and its ruler's rules list, through
//! the cluster's endpoint. Every feature that asks Loki goes through here, so the protocol (the
//! envelope, the vector and matrix shapes, the ruler's Prometheus-style path) lives in one place.

use std::collections::BTreeMap;

use app::error::{ApiError, Code};
use app::model::Series;
use serde_json::Value;
use thiserror::Error;

use super::endpoint::{Endpoint, EndpointError};

#[derive(Debug, Error)]
pub enum LokiError {
    /// Loki answered and refused the query: the message is its own.
    #[error("Loki: {0}")]
    BadQuery(String),
    /// Nothing usable answered.
    #[error("Loki: {0}")]
    Unavailable(#[source] EndpointError),
    /// It answered success with something that is not Loki's document.
    #[error("Loki answered something that is not {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
}

impl LokiError {
    /// `field` names the input a refused query came from.
    pub fn into_api(self, field: &str) -> ApiError {
        match self {
            LokiError::BadQuery(_) => ApiError::invalid(field, Code::Upstream).arg(&self),
            other => {
                tracing::warn!(error = %super::error_chain(&other), "Loki call failed");
                ApiError::new(http::StatusCode::BAD_GATEWAY, Code::Upstream).arg(other)
            }
        }
    }
}

pub struct Loki {
    pub endpoint: Endpoint,
    pub http: reqwest::Client,
}

impl Loki {
    pub fn new(endpoint: Endpoint, http: reqwest::Client) -> Self {
        Loki { endpoint, http }
    }

    async fn call(&self, path: &str, params: &[(&str, String)]) -> Result<Value, LokiError> {
        let qs = serde_urlencoded::to_string(params).map_err(|e| LokiError::Malformed {
            what: "an encodable request",
            detail: e.to_string(),
        })?;
        let body = self
            .endpoint
            .get(&self.http, &format!("{path}?{qs}"))
            .await
            .map_err(LokiError::Unavailable)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| LokiError::Malformed {
            what: "a query result",
            detail: e.to_string(),
        })?;
        if v["status"] != "success" {
            return Err(LokiError::BadQuery(
                v["error"]
                    .as_str()
                    .unwrap_or("the query failed")
                    .to_string(),
            ));
        }
        Ok(v)
    }

    /// A metric query at the current time.
    pub async fn query(&self, expr: &str) -> Result<Vec<Series>, LokiError> {
        let v = self
            .call("/loki/api/v1/query", &[("query", expr.to_string())])
            .await?;
        Ok(series(&v))
    }

    /// A metric query over `[start, end]` (Unix seconds) every `step` seconds.
    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, LokiError> {
        let v = self
            .call(
                "/loki/api/v1/query_range",
                &super::range_params(expr, start, end, step),
            )
            .await?;
        Ok(series(&v))
    }

    /// The ruler's rule groups with their state, in Prometheus' shape (`data.groups`).
    pub async fn rules(&self) -> Result<Value, LokiError> {
        self.call("/prometheus/api/v1/rules", &[]).await
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_str().and_then(|s| s.parse::<f64>().ok())
}

/// The series of a `vector` (one `value` each) or `matrix` (`values`) result.
pub fn series(v: &Value) -> Vec<Series> {
    let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
    result
        .iter()
        .map(|r| {
            let mut points: Vec<(f64, Option<f64>)> = Vec::new();
            if let Some(p) = r["value"].as_array() {
                points.push((p[0].as_f64().unwrap_or_default(), number(&p[1])));
            }
            for p in r["values"].as_array().into_iter().flatten() {
                points.push((p[0].as_f64().unwrap_or_default(), number(&p[1])));
            }
            let labels: BTreeMap<String, String> =
                serde_json::from_value(r["metric"].clone()).unwrap_or_default();
            Series { labels, points }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_and_matrices_become_series() {
        let vector = serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"pod": "a"}, "value": [1700000000.5, "3"]}]}});
        let got = series(&vector);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].labels["pod"], "a");
        assert_eq!(got[0].points, vec![(1700000000.5, Some(3.0))]);
        let matrix = serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {}, "values": [[1, "1"], [2, "NaN"], [3, "x"]]}]}});
        let got = series(&matrix);
        assert_eq!(got[0].points.len(), 3);
        assert_eq!(
            got[0].points[2],
            (3.0, None),
            "a value that is no number is a gap"
        );
    }
}
