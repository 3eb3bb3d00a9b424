//! The Prometheus HTTP API (v1) of one cluster: queries, labels, series, targets, rules and alerts.
//! Errors keep Prometheus' own text, so a bad query shows the parser's message next to it.

use std::collections::BTreeMap;
use std::time::Duration;

use app::error::{ApiError, Code};
use app::model::Series;
use http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::endpoint::Endpoint;

/// How long Prometheus may evaluate one query; the HTTP call waits a little longer.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Prometheus {
    pub endpoint: Endpoint,
    pub http: reqwest::Client,
}

/// Why a call failed, in the terms the user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// Prometheus refused the query: the message is its parser's or evaluator's.
    #[error("Prometheus: {0}")]
    BadQuery(String),
    /// Evaluation ran out of time or was cancelled.
    #[error("Prometheus did not finish the query in time: {0}")]
    Timeout(String),
    /// Prometheus could not be reached, or answered something that is not its API.
    #[error("Prometheus: {0}")]
    Unavailable(String),
}

impl PromError {
    pub fn into_api(self, field: &str) -> ApiError {
        let status = match self {
            PromError::BadQuery(_) => return ApiError::invalid(field, Code::Upstream).arg(&self),
            PromError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            PromError::Unavailable(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, Code::Upstream).arg(&self)
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Value,
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Value,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    #[serde(default)]
    value: Option<(f64, String)>,
}

/// A range query's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matrix {
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
}

/// One sample of an instant query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub time: f64,
    pub value: Option<f64>,
}

fn number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn series_of(raw: RawSeries) -> Series {
    Series {
        labels: raw.metric,
        points: raw
            .values
            .into_iter()
            .map(|(t, v)| (t, number(&v)))
            .collect(),
    }
}

impl Prometheus {
    pub fn new(endpoint: Endpoint, http: reqwest::Client) -> Self {
        Prometheus { endpoint, http }
    }

    async fn call(&self, path: &str, params: &[(&str, String)]) -> Result<Envelope, PromError> {
        let query = serde_urlencoded::to_string(params)
            .map_err(|e| PromError::Unavailable(format!("encoding the request: {e}")))?;
        let full = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        let (status, body) = self
            .endpoint
            .fetch(
                &self.http,
                &full,
                Some(QUERY_TIMEOUT + Duration::from_secs(5)),
            )
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    PromError::Timeout(e.to_string())
                } else {
                    PromError::Unavailable(format!(
                        "{} did not answer: {e}",
                        self.endpoint.describe()
                    ))
                }
            })?;
        // Anything but Prometheus' own envelope (an API server's `Status` through the service
        // proxy, an HTML error page) is reported with what actually answered.
        let env = serde_json::from_str::<Envelope>(&body)
            .ok()
            .filter(|e| e.status == "success" || e.status == "error");
        let Some(env) = env else {
            return Err(PromError::Unavailable(format!(
                "{} answered {}",
                self.endpoint.describe(),
                super::endpoint::http_error(status, &body)
            )));
        };
        if env.status == "success" {
            return Ok(env);
        }
        Err(match env.error_type.as_str() {
            // `execution`: the query is valid syntax but cannot be evaluated (a bad regex in
            // label_replace, many-to-many matching): still the query's fault.
            "bad_data" | "execution" => PromError::BadQuery(env.error),
            "timeout" | "canceled" => PromError::Timeout(env.error),
            _ => PromError::Unavailable(format!("{}: {}", env.error_type, env.error)),
        })
    }

    fn data<T: DeserializeOwned>(env: Envelope) -> Result<T, PromError> {
        serde_json::from_value(env.data)
            .map_err(|e| PromError::Unavailable(format!("unexpected answer: {e}")))
    }

    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Matrix, PromError> {
        let env = self
            .call(
                "/api/v1/query_range",
                &[
                    super::range_params(expr, start, end, step).as_slice(),
                    &[("timeout", format!("{}s", QUERY_TIMEOUT.as_secs()))],
                ]
                .concat(),
            )
            .await?;
        let warnings = env.warnings.clone();
        let data: QueryData = Self::data(env)?;
        if data.result_type != "matrix" {
            return Err(PromError::Unavailable(format!(
                "expected a matrix, got {}",
                data.result_type
            )));
        }
        let raw: Vec<RawSeries> = serde_json::from_value(data.result)
            .map_err(|e| PromError::Unavailable(format!("unexpected answer: {e}")))?;
        Ok(Matrix {
            series: raw.into_iter().map(series_of).collect(),
            warnings,
        })
    }

    /// An instant query; scalars come back as one sample without labels.
    pub async fn query(&self, expr: &str, time: Option<i64>) -> Result<Vec<Sample>, PromError> {
        let mut params = vec![
            ("query", expr.to_string()),
            ("timeout", format!("{}s", QUERY_TIMEOUT.as_secs())),
        ];
        if let Some(t) = time {
            params.push(("time", t.to_string()));
        }
        let env = self.call("/api/v1/query", &params).await?;
        let data: QueryData = Self::data(env)?;
        let bad = |e: serde_json::Error| PromError::Unavailable(format!("unexpected answer: {e}"));
        match data.result_type.as_str() {
            "vector" => {
                let raw: Vec<RawSeries> = serde_json::from_value(data.result).map_err(bad)?;
                Ok(raw
                    .into_iter()
                    .filter_map(|r| {
                        let (time, v) = r.value?;
                        Some(Sample {
                            labels: r.metric,
                            time,
                            value: number(&v),
                        })
                    })
                    .collect())
            }
            "scalar" | "string" => {
                let (time, v): (f64, String) = serde_json::from_value(data.result).map_err(bad)?;
                Ok(vec![Sample {
                    labels: BTreeMap::new(),
                    time,
                    value: number(&v),
                }])
            }
            other => Err(PromError::Unavailable(format!(
                "an instant query answered a {other}"
            ))),
        }
    }

    fn window(matches: &[String], start: i64, end: i64) -> Vec<(&'static str, String)> {
        let mut params: Vec<(&str, String)> =
            matches.iter().map(|m| ("match[]", m.clone())).collect();
        params.push(("start", start.to_string()));
        params.push(("end", end.to_string()));
        params
    }

    pub async fn label_names(
        &self,
        matches: &[String],
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, PromError> {
        let env = self
            .call("/api/v1/labels", &Self::window(matches, start, end))
            .await?;
        Self::data(env)
    }

    pub async fn label_values(
        &self,
        label: &str,
        matches: &[String],
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, PromError> {
        let path = format!("/api/v1/label/{label}/values");
        let env = self.call(&path, &Self::window(matches, start, end)).await?;
        Self::data(env)
    }

    pub async fn series(
        &self,
        matches: &[String],
        start: i64,
        end: i64,
    ) -> Result<Vec<BTreeMap<String, String>>, PromError> {
        let env = self
            .call("/api/v1/series", &Self::window(matches, start, end))
            .await?;
        Self::data(env)
    }

    /// Active scrape targets, as Prometheus reports them.
    pub async fn targets(&self) -> Result<Value, PromError> {
        let env = self
            .call("/api/v1/targets", &[("state", "active".to_string())])
            .await?;
        Ok(env.data)
    }

    /// Rule groups with each rule's state and health (`type` is `alert` or `record` when given).
    pub async fn rules(&self, kind: Option<&str>) -> Result<Value, PromError> {
        let params: Vec<(&str, String)> =
            kind.map(|k| ("type", k.to_string())).into_iter().collect();
        let env = self.call("/api/v1/rules", &params).await?;
        Ok(env.data)
    }

    pub async fn alerts(&self) -> Result<Value, PromError> {
        let env = self.call("/api/v1/alerts", &[]).await?;
        Ok(env.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_are_not_numbers_become_gaps() {
        let raw: RawSeries = serde_json::from_str(
            r#"{"metric":{"a":"1"},"values":[[1,"2.5"],[2,"NaN"],[3,"+Inf"],[4,"-1e3"]]}"#,
        )
        .unwrap();
        let s = series_of(raw);
        assert_eq!(
            s.points,
            vec![
                (1.0, Some(2.5)),
                (2.0, None),
                (3.0, None),
                (4.0, Some(-1000.0))
            ]
        );
    }

    #[test]
    fn errors_map_to_statuses() {
        let cases = [
            (
                PromError::BadQuery("parse error".into()),
                422,
                "expr: Prometheus: parse error",
            ),
            (PromError::Timeout("x".into()), 504, "in time"),
            (
                PromError::Unavailable("down".into()),
                502,
                "Prometheus: down",
            ),
        ];
        for (e, status, text) in cases {
            let api = e.into_api("expr");
            assert_eq!(api.status, status);
            assert!(api.message.contains(text), "{}", api.message);
        }
    }
}
