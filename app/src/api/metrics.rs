//! Metrics: range queries and label lookups against a cluster's Prometheus, limited to the
//! caller's environment (or a whole cluster, for system admins).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{LabelValuesQuery, MetricExpr, QueryTarget, RangeQuery, RangeResult};

#[cfg(feature = "ssr")]
use super::context::Caller;

/// A place the caller may query, for pickers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TargetOption {
    pub target: QueryTarget,
    /// For people: `tenant / project / environment (cluster/namespace)` or `cluster X`.
    pub label: String,
    /// Empty for a whole cluster.
    pub namespace: String,
    /// Whose templates apply besides the presets.
    pub tenant_id: Option<i64>,
    /// The project of an environment, so a link naming only the environment finds its scope.
    #[serde(default)]
    pub project_id: Option<i64>,
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait MetricsPort: Send + Sync {
    async fn targets(&self, caller: &Caller) -> Result<Vec<TargetOption>, ApiError>;
    async fn query_range(&self, caller: &Caller, q: RangeQuery) -> Result<RangeResult, ApiError>;
    /// Values of `label` over the selectors of the (scoped) query, newest window.
    async fn label_values(
        &self,
        caller: &Caller,
        q: LabelValuesQuery,
    ) -> Result<Vec<String>, ApiError>;
    async fn label_names(
        &self,
        caller: &Caller,
        target: QueryTarget,
        query: MetricExpr,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, ApiError>;
}

#[server(prefix = "/api", endpoint = "metrics/targets", input = Json)]
pub async fn metric_targets() -> Result<Vec<TargetOption>, ApiError> {
    use super::context::*;
    respond(async { services()?.metrics.targets(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "metrics/query_range", input = Json)]
pub async fn query_range(query: RangeQuery) -> Result<RangeResult, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        super::quota::charge(&c)?;
        services()?.metrics.query_range(&c, query).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "metrics/label_values", input = Json)]
pub async fn label_values(query: LabelValuesQuery) -> Result<Vec<String>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .metrics
            .label_values(&caller().await?, query)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "metrics/label_names", input = Json)]
pub async fn label_names(
    target: QueryTarget,
    query: MetricExpr,
    start: i64,
    end: i64,
) -> Result<Vec<String>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .metrics
            .label_names(&caller().await?, target, query, start, end)
            .await
    })
    .await
}
