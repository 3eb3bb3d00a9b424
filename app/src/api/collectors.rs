//! Metric collectors of an environment on a Kubernetes cluster: the namespace's Services, and a
//! ServiceMonitor per Service whose metrics are collected, with the scrape state Prometheus has.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{Collector, CollectorConfig, CollectorList};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait CollectorsPort: Send + Sync {
    async fn list(&self, caller: &Caller, environment_id: i64) -> Result<CollectorList, ApiError>;
    /// Creates or updates the ServiceMonitor `<namespace>/<service>` and labels the Service.
    async fn enable(
        &self,
        caller: &Caller,
        environment_id: i64,
        service: String,
        config: CollectorConfig,
    ) -> Result<Collector, ApiError>;
    /// Removes the ServiceMonitor and the Service's label.
    async fn disable(
        &self,
        caller: &Caller,
        environment_id: i64,
        service: String,
    ) -> Result<(), ApiError>;
}

#[server(prefix = "/api", endpoint = "collectors/list", input = Json)]
pub async fn list_collectors(environment_id: i64) -> Result<CollectorList, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .collectors
            .list(&caller().await?, environment_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "collectors/enable", input = Json)]
pub async fn enable_collector(
    environment_id: i64,
    service: String,
    config: CollectorConfig,
) -> Result<Collector, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "collector.enable",
            target: format!("environment/{environment_id}/service/{service}"),
            tenant_id: s.audit.owner(Owned::Environment(environment_id)).await,
        };
        audited(
            &c,
            t,
            s.collectors.enable(&c, environment_id, service, config),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "collectors/disable", input = Json)]
pub async fn disable_collector(environment_id: i64, service: String) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "collector.disable",
            target: format!("environment/{environment_id}/service/{service}"),
            tenant_id: s.audit.owner(Owned::Environment(environment_id)).await,
        };
        audited(&c, t, s.collectors.disable(&c, environment_id, service)).await
    })
    .await
}
