//! The audit log: who did what, when, to which object, and whether it worked.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{AuditEntry, AuditFilter};

#[cfg(feature = "ssr")]
use super::context::{AuditRecord, Caller, Owned};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AuditPort: Send + Sync {
    /// Never fails the request it records: a failure to write is logged.
    async fn record(&self, record: AuditRecord);
    /// The tenant that owns an object, for the audit row; `None` when it does not exist.
    async fn owner(&self, object: Owned) -> Option<i64>;
    /// System admins see every row, tenant admins their tenants' rows, everybody else their own.
    async fn list(&self, caller: &Caller, filter: AuditFilter)
    -> Result<Vec<AuditEntry>, ApiError>;
}

#[server(prefix = "/api", endpoint = "audit/list", input = Json)]
pub async fn list_audit(filter: AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
    use super::context::*;
    respond(async { services()?.audit.list(&caller().await?, filter).await }).await
}
