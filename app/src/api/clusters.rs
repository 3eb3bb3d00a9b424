//! Cluster records (system admins). Connectivity comes later; secrets are write-only.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{Cluster, ClusterCheck, ClusterInput, ClusterRef, PrepareResult};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ClustersPort: Send + Sync {
    async fn list(&self, caller: &Caller) -> Result<Vec<Cluster>, ApiError>;
    async fn get(&self, caller: &Caller, cluster_id: i64) -> Result<Cluster, ApiError>;
    /// Names only, for tenant admins choosing where an environment lives.
    async fn refs(&self, caller: &Caller) -> Result<Vec<ClusterRef>, ApiError>;
    async fn create(&self, caller: &Caller, input: ClusterInput) -> Result<Cluster, ApiError>;
    async fn update(
        &self,
        caller: &Caller,
        cluster_id: i64,
        input: ClusterInput,
    ) -> Result<Cluster, ApiError>;
    async fn delete(&self, caller: &Caller, cluster_id: i64) -> Result<(), ApiError>;
    /// Tests every configured endpoint now and stores the result with the cluster.
    async fn test(&self, caller: &Caller, cluster_id: i64) -> Result<ClusterCheck, ApiError>;
    /// Installs Gemscope's recording rules (idempotent: unchanged objects are not rewritten).
    async fn prepare(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<Vec<PrepareResult>, ApiError>;
}

#[server(prefix = "/api", endpoint = "clusters/list", input = Json)]
pub async fn list_clusters() -> Result<Vec<Cluster>, ApiError> {
    use super::context::*;
    respond(async { services()?.clusters.list(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "clusters/get", input = Json)]
pub async fn get_cluster(cluster_id: i64) -> Result<Cluster, ApiError> {
    use super::context::*;
    respond(async { services()?.clusters.get(&caller().await?, cluster_id).await }).await
}

#[server(prefix = "/api", endpoint = "clusters/refs", input = Json)]
pub async fn cluster_refs() -> Result<Vec<ClusterRef>, ApiError> {
    use super::context::*;
    respond(async { services()?.clusters.refs(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "clusters/create", input = Json)]
pub async fn create_cluster(cluster: ClusterInput) -> Result<Cluster, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.create",
            target: format!("cluster/{}", cluster.name),
            tenant_id: None,
        };
        audited(&c, t, services()?.clusters.create(&c, cluster)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "clusters/update", input = Json)]
pub async fn update_cluster(cluster_id: i64, cluster: ClusterInput) -> Result<Cluster, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.update",
            target: format!("cluster/{cluster_id}"),
            tenant_id: None,
        };
        audited(&c, t, services()?.clusters.update(&c, cluster_id, cluster)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "clusters/delete", input = Json)]
pub async fn delete_cluster(cluster_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.delete",
            target: format!("cluster/{cluster_id}"),
            tenant_id: None,
        };
        audited(&c, t, services()?.clusters.delete(&c, cluster_id)).await
    })
    .await
}

/// Tests the cluster's connections now; the result is also stored and shown on the cluster list.
#[server(prefix = "/api", endpoint = "clusters/test", input = Json)]
pub async fn test_cluster(cluster_id: i64) -> Result<ClusterCheck, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.test",
            target: format!("cluster/{cluster_id}"),
            tenant_id: None,
        };
        audited(&c, t, services()?.clusters.test(&c, cluster_id)).await
    })
    .await
}

/// Installs what Gemscope needs in the cluster: its recording rules for Prometheus and the Loki
/// ruler. Safe to repeat: objects already current are left alone.
#[server(prefix = "/api", endpoint = "clusters/prepare", input = Json)]
pub async fn prepare_cluster(cluster_id: i64) -> Result<Vec<PrepareResult>, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.prepare",
            target: format!("cluster/{cluster_id}"),
            tenant_id: None,
        };
        audited(&c, t, services()?.clusters.prepare(&c, cluster_id)).await
    })
    .await
}
