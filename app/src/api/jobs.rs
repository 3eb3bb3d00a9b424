//! Scheduled jobs (system administrators): their schedules and last runs, "run now", and the
//! config check's drift report with repair.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{ClusterDrift, JobInfo, JobKind, JobRun, RepairOutcome, RepairTarget};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait JobsPort: Send + Sync {
    async fn jobs(&self, caller: &Caller) -> Result<Vec<JobInfo>, ApiError>;
    /// Queues a run now; refused while one of the job is queued or running.
    async fn run_now(&self, caller: &Caller, job: JobKind) -> Result<JobRun, ApiError>;
    /// Per cluster: rules whose last check was not ok, and orphans.
    async fn drift(&self, caller: &Caller) -> Result<Vec<ClusterDrift>, ApiError>;
    async fn repair(
        &self,
        caller: &Caller,
        target: RepairTarget,
    ) -> Result<RepairOutcome, ApiError>;
}

#[cfg(feature = "ssr")]
fn port() -> Result<std::sync::Arc<dyn JobsPort>, ApiError> {
    Ok(super::context::services()?.jobs)
}

#[server(prefix = "/api", endpoint = "jobs/list", input = Json)]
pub async fn list_jobs() -> Result<Vec<JobInfo>, ApiError> {
    use super::context::*;
    respond(async { port()?.jobs(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "jobs/run", input = Json)]
pub async fn run_job(job: JobKind) -> Result<JobRun, ApiError> {
    use super::context::*;
    respond(async {
        let caller = caller().await?;
        let what = AuditTarget {
            action: "jobs.run",
            target: job.as_str().to_string(),
            tenant_id: None,
        };
        audited(&caller, what, port()?.run_now(&caller, job)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "drift/list", input = Json)]
pub async fn list_drift() -> Result<Vec<ClusterDrift>, ApiError> {
    use super::context::*;
    respond(async { port()?.drift(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "drift/repair", input = Json)]
pub async fn repair_drift(target: RepairTarget) -> Result<RepairOutcome, ApiError> {
    use super::context::*;
    respond(async {
        let caller = caller().await?;
        let what = AuditTarget {
            action: "drift.repair",
            target: match target {
                RepairTarget::Rule(id) => format!("rule {id}"),
                RepairTarget::Orphan(id) => format!("orphan {id}"),
                RepairTarget::Cluster(id) => format!("cluster {id}"),
            },
            tenant_id: None,
        };
        audited(&caller, what, port()?.repair(&caller, target)).await
    })
    .await
}
