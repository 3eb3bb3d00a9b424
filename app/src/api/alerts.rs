//! The alert centre: a rule's history (episodes and their notifications), the tenant-wide
//! search, the overview numbers, and the caller's message centre. Live updates of the message
//! centre come from `/api/messages/stream` (server-sent events, outside the server functions).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{
    EpisodeFilter, EpisodePage, HistoryPage, HistoryRow, HistorySearch, Inbox, Overview,
    OverviewQuery, RuleScope,
};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AlertCentrePort: Send + Sync {
    /// Episodes of one rule, newest first.
    async fn episodes(
        &self,
        caller: &Caller,
        scope: RuleScope,
        rule: String,
        filter: EpisodeFilter,
    ) -> Result<EpisodePage, ApiError>;
    /// Every notification of one episode, newest first.
    async fn notifications(
        &self,
        caller: &Caller,
        scope: RuleScope,
        instance_id: i64,
        starts_at: i64,
        page: u64,
    ) -> Result<HistoryPage, ApiError>;
    async fn search(&self, caller: &Caller, search: HistorySearch)
    -> Result<HistoryPage, ApiError>;
    async fn overview(&self, caller: &Caller, query: OverviewQuery) -> Result<Overview, ApiError>;
    async fn inbox(&self, caller: &Caller, unread_only: bool, page: u64)
    -> Result<Inbox, ApiError>;
    async fn unread(&self, caller: &Caller) -> Result<u64, ApiError>;
    /// Marks the caller's items read; an empty list marks all of them. Returns how many changed.
    async fn mark_read(&self, caller: &Caller, ids: Vec<i64>) -> Result<u64, ApiError>;
}

#[cfg(feature = "ssr")]
fn port() -> Result<std::sync::Arc<dyn AlertCentrePort>, ApiError> {
    Ok(super::context::services()?.alert_centre)
}

#[server(prefix = "/api", endpoint = "alerts/episodes", input = Json)]
pub async fn rule_episodes(
    scope: RuleScope,
    rule: String,
    filter: EpisodeFilter,
) -> Result<EpisodePage, ApiError> {
    use super::context::*;
    respond(async {
        port()?
            .episodes(&caller().await?, scope, rule, filter)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "alerts/notifications", input = Json)]
pub async fn episode_notifications(
    scope: RuleScope,
    instance_id: i64,
    starts_at: i64,
    page: u64,
) -> Result<HistoryPage, ApiError> {
    use super::context::*;
    respond(async {
        port()?
            .notifications(&caller().await?, scope, instance_id, starts_at, page)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "alerts/search", input = Json)]
pub async fn search_history(search: HistorySearch) -> Result<HistoryPage, ApiError> {
    use super::context::*;
    respond(async { port()?.search(&caller().await?, search).await }).await
}

#[server(prefix = "/api", endpoint = "alerts/overview", input = Json)]
pub async fn alert_overview(query: OverviewQuery) -> Result<Overview, ApiError> {
    use super::context::*;
    respond(async { port()?.overview(&caller().await?, query).await }).await
}

#[server(prefix = "/api", endpoint = "messages/list", input = Json)]
pub async fn list_messages(unread_only: bool, page: u64) -> Result<Inbox, ApiError> {
    use super::context::*;
    respond(async { port()?.inbox(&caller().await?, unread_only, page).await }).await
}

#[server(prefix = "/api", endpoint = "messages/unread", input = Json)]
pub async fn unread_messages() -> Result<u64, ApiError> {
    use super::context::*;
    respond(async { port()?.unread(&caller().await?).await }).await
}

#[server(prefix = "/api", endpoint = "messages/read", input = Json)]
pub async fn mark_messages_read(ids: Vec<i64>) -> Result<u64, ApiError> {
    use super::context::*;
    respond(async {
        let caller = caller().await?;
        let what = AuditTarget {
            action: "messages.read",
            target: if ids.is_empty() {
                "all".into()
            } else {
                format!("{} messages", ids.len())
            },
            tenant_id: None,
        };
        audited(&caller, what, port()?.mark_read(&caller, ids)).await
    })
    .await
}

/// The scope a history row's alert belongs to, for blacklisting it or opening its rule.
pub fn row_scope(row: &HistoryRow) -> RuleScope {
    match row.environment_id {
        Some(env) => RuleScope::Environment(env),
        None => RuleScope::System(row.cluster_id),
    }
}
