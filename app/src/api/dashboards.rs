//! Dashboards of an environment: list, create (from a template or from scratch), edit, delete,
//! and one request that runs every panel of a refresh.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{Dashboard, DashboardInput, DashboardQuery, PanelResult};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait DashboardsPort: Send + Sync {
    async fn list(&self, caller: &Caller, environment_id: i64) -> Result<Vec<Dashboard>, ApiError>;
    async fn create(
        &self,
        caller: &Caller,
        environment_id: i64,
        input: DashboardInput,
    ) -> Result<Dashboard, ApiError>;
    async fn update(
        &self,
        caller: &Caller,
        dashboard_id: i64,
        input: DashboardInput,
    ) -> Result<Dashboard, ApiError>;
    async fn delete(&self, caller: &Caller, dashboard_id: i64) -> Result<(), ApiError>;
    /// Every panel, run concurrently on the server; a failing panel carries its own error.
    async fn query(&self, caller: &Caller, q: DashboardQuery)
    -> Result<Vec<PanelResult>, ApiError>;
    /// Values a variable can take: its fixed values, or the label's values over every panel.
    async fn variable_values(
        &self,
        caller: &Caller,
        dashboard_id: i64,
        name: String,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, ApiError>;
}

#[server(prefix = "/api", endpoint = "dashboards/list", input = Json)]
pub async fn list_dashboards(environment_id: i64) -> Result<Vec<Dashboard>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .dashboards
            .list(&caller().await?, environment_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "dashboards/create", input = Json)]
pub async fn create_dashboard(
    environment_id: i64,
    dashboard: DashboardInput,
) -> Result<Dashboard, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "dashboard.create",
            target: format!("environment/{environment_id}/dashboard/{}", dashboard.name),
            tenant_id: s.audit.owner(Owned::Environment(environment_id)).await,
        };
        audited(&c, t, s.dashboards.create(&c, environment_id, dashboard)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "dashboards/update", input = Json)]
pub async fn update_dashboard(
    dashboard_id: i64,
    dashboard: DashboardInput,
) -> Result<Dashboard, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "dashboard.update",
            target: format!("dashboard/{dashboard_id}"),
            tenant_id: s.audit.owner(Owned::Dashboard(dashboard_id)).await,
        };
        audited(&c, t, s.dashboards.update(&c, dashboard_id, dashboard)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "dashboards/delete", input = Json)]
pub async fn delete_dashboard(dashboard_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "dashboard.delete",
            target: format!("dashboard/{dashboard_id}"),
            tenant_id: s.audit.owner(Owned::Dashboard(dashboard_id)).await,
        };
        audited(&c, t, s.dashboards.delete(&c, dashboard_id)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "dashboards/query", input = Json)]
pub async fn query_dashboard(query: DashboardQuery) -> Result<Vec<PanelResult>, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        super::quota::charge(&c)?;
        services()?.dashboards.query(&c, query).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "dashboards/variable_values", input = Json)]
pub async fn dashboard_variable_values(
    dashboard_id: i64,
    name: String,
    start: i64,
    end: i64,
) -> Result<Vec<String>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .dashboards
            .variable_values(&caller().await?, dashboard_id, name, start, end)
            .await
    })
    .await
}
