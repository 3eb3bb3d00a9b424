//! Alert rules of an environment (or, for system administrators, of a cluster's monitoring
//! namespace): the list with live state, the detail, create/update/delete written to the cluster
//! in one transaction, enable/disable through one silence, re-sync, import, copy, and the checks
//! an editor runs before saving (fires now, backtest). Blacklist entries silence one exact alert.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{
    AlertRule, AlertRuleInput, Backtest, BlacklistEntry, ImportItem, LevelCheck, RuleDetail,
    RuleEditorContext, RuleList, RuleScope, TokenRotation,
};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AlertRulesPort: Send + Sync {
    async fn context(
        &self,
        caller: &Caller,
        scope: RuleScope,
    ) -> Result<RuleEditorContext, ApiError>;
    async fn list(&self, caller: &Caller, scope: RuleScope) -> Result<RuleList, ApiError>;
    async fn get(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
    ) -> Result<RuleDetail, ApiError>;
    async fn create(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
    ) -> Result<AlertRule, ApiError>;
    async fn update(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        input: AlertRuleInput,
    ) -> Result<AlertRule, ApiError>;
    async fn delete(&self, caller: &Caller, scope: RuleScope, name: String)
    -> Result<(), ApiError>;
    async fn set_enabled(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        enabled: bool,
    ) -> Result<AlertRule, ApiError>;
    /// Writes every rule of the scope again; what is already current is not written.
    async fn sync(&self, caller: &Caller, scope: RuleScope) -> Result<Vec<ImportItem>, ApiError>;
    /// A YAML list of rules; `__namespace__` becomes the scope's namespace.
    async fn import(
        &self,
        caller: &Caller,
        scope: RuleScope,
        yaml: String,
    ) -> Result<Vec<ImportItem>, ApiError>;
    async fn copy(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        to: RuleScope,
    ) -> Result<AlertRule, ApiError>;
    /// Each level's expression as an instant query: the series that would fire now.
    async fn fires_now(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
    ) -> Result<Vec<LevelCheck>, ApiError>;
    async fn backtest(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
        range_secs: i64,
    ) -> Result<Backtest, ApiError>;
    async fn blacklist(
        &self,
        caller: &Caller,
        scope: RuleScope,
    ) -> Result<Vec<BlacklistEntry>, ApiError>;
    async fn blacklist_add(
        &self,
        caller: &Caller,
        scope: RuleScope,
        labels: BTreeMap<String, String>,
    ) -> Result<BlacklistEntry, ApiError>;
    async fn blacklist_remove(
        &self,
        caller: &Caller,
        scope: RuleScope,
        id: String,
    ) -> Result<(), ApiError>;
    /// System administrators: new history tokens for every namespace of a cluster.
    async fn rotate_history_tokens(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<TokenRotation, ApiError>;
    /// System administrators: a new notify token for a channel.
    async fn rotate_channel_token(
        &self,
        caller: &Caller,
        channel_id: i64,
    ) -> Result<TokenRotation, ApiError>;
}

#[cfg(feature = "ssr")]
async fn owner(scope: RuleScope) -> Option<i64> {
    use super::context::{Owned, services};
    match scope {
        RuleScope::Environment(id) => match services() {
            Ok(s) => s.audit.owner(Owned::Environment(id)).await,
            Err(_) => None,
        },
        RuleScope::System(_) => None,
    }
}

#[cfg(feature = "ssr")]
fn place(scope: RuleScope) -> String {
    match scope {
        RuleScope::Environment(id) => format!("environment/{id}"),
        RuleScope::System(id) => format!("cluster/{id}/system"),
    }
}

/// Runs a mutation as the caller, audited against the owner of the scope.
#[cfg(feature = "ssr")]
async fn mutate<T, F, Fut>(action: &str, scope: RuleScope, what: &str, f: F) -> Result<T, ApiError>
where
    F: FnOnce(Caller, std::sync::Arc<dyn AlertRulesPort>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    use super::context::*;
    let (c, s) = (caller().await?, services()?);
    let t = AuditTarget {
        action,
        target: format!("{}/{what}", place(scope)),
        tenant_id: owner(scope).await,
    };
    audited(&c.clone(), t, f(c, s.alert_rules.clone())).await
}

#[server(prefix = "/api", endpoint = "alert-rules/context", input = Json)]
pub async fn alert_rule_context(scope: RuleScope) -> Result<RuleEditorContext, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .alert_rules
            .context(&caller().await?, scope)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/list", input = Json)]
pub async fn list_alert_rules(scope: RuleScope) -> Result<RuleList, ApiError> {
    use super::context::*;
    respond(async { services()?.alert_rules.list(&caller().await?, scope).await }).await
}

#[server(prefix = "/api", endpoint = "alert-rules/get", input = Json)]
pub async fn get_alert_rule(scope: RuleScope, name: String) -> Result<RuleDetail, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .alert_rules
            .get(&caller().await?, scope, name)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/create", input = Json)]
pub async fn create_alert_rule(
    scope: RuleScope,
    rule: AlertRuleInput,
) -> Result<AlertRule, ApiError> {
    use super::context::*;
    let name = rule.name.clone();
    respond(mutate(
        "alert_rule.create",
        scope,
        &name,
        |c, p| async move { p.create(&c, scope, rule).await },
    ))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/update", input = Json)]
pub async fn update_alert_rule(
    scope: RuleScope,
    name: String,
    rule: AlertRuleInput,
) -> Result<AlertRule, ApiError> {
    use super::context::*;
    let what = name.clone();
    respond(mutate(
        "alert_rule.update",
        scope,
        &what,
        |c, p| async move { p.update(&c, scope, name, rule).await },
    ))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/delete", input = Json)]
pub async fn delete_alert_rule(scope: RuleScope, name: String) -> Result<(), ApiError> {
    use super::context::*;
    let what = name.clone();
    respond(mutate(
        "alert_rule.delete",
        scope,
        &what,
        |c, p| async move { p.delete(&c, scope, name).await },
    ))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/enable", input = Json)]
pub async fn set_alert_rule_enabled(
    scope: RuleScope,
    name: String,
    enabled: bool,
) -> Result<AlertRule, ApiError> {
    use super::context::*;
    let action = if enabled {
        "alert_rule.enable"
    } else {
        "alert_rule.disable"
    };
    let what = name.clone();
    respond(mutate(action, scope, &what, |c, p| async move {
        p.set_enabled(&c, scope, name, enabled).await
    }))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/sync", input = Json)]
pub async fn sync_alert_rules(scope: RuleScope) -> Result<Vec<ImportItem>, ApiError> {
    use super::context::*;
    respond(mutate("alert_rule.sync", scope, "*", |c, p| async move {
        p.sync(&c, scope).await
    }))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/import", input = Json)]
pub async fn import_alert_rules(
    scope: RuleScope,
    yaml: String,
) -> Result<Vec<ImportItem>, ApiError> {
    use super::context::*;
    respond(mutate("alert_rule.import", scope, "*", |c, p| async move {
        p.import(&c, scope, yaml).await
    }))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/copy", input = Json)]
pub async fn copy_alert_rule(
    scope: RuleScope,
    name: String,
    to: RuleScope,
) -> Result<AlertRule, ApiError> {
    use super::context::*;
    let what = format!("{name} -> {}", place(to));
    respond(mutate("alert_rule.copy", to, &what, |c, p| async move {
        p.copy(&c, scope, name, to).await
    }))
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/fires-now", input = Json)]
pub async fn alert_rule_fires_now(
    scope: RuleScope,
    rule: AlertRuleInput,
) -> Result<Vec<LevelCheck>, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        super::quota::charge(&c)?;
        services()?.alert_rules.fires_now(&c, scope, rule).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "alert-rules/backtest", input = Json)]
pub async fn alert_rule_backtest(
    scope: RuleScope,
    rule: AlertRuleInput,
    range_secs: i64,
) -> Result<Backtest, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        super::quota::charge(&c)?;
        services()?
            .alert_rules
            .backtest(&c, scope, rule, range_secs)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "blacklist/list", input = Json)]
pub async fn list_blacklist(scope: RuleScope) -> Result<Vec<BlacklistEntry>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .alert_rules
            .blacklist(&caller().await?, scope)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "clusters/rotate_history_tokens", input = Json)]
pub async fn rotate_history_tokens(cluster_id: i64) -> Result<TokenRotation, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "cluster.rotate_history_tokens",
            target: format!("cluster/{cluster_id}"),
            tenant_id: None,
        };
        audited(
            &c,
            t,
            services()?
                .alert_rules
                .rotate_history_tokens(&c, cluster_id),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/rotate_token", input = Json)]
pub async fn rotate_channel_token(channel_id: i64) -> Result<TokenRotation, ApiError> {
    use super::context::*;
    respond(async {
        let c = caller().await?;
        let t = AuditTarget {
            action: "channel.rotate_token",
            target: format!("channel/{channel_id}"),
            tenant_id: None,
        };
        audited(
            &c,
            t,
            services()?.alert_rules.rotate_channel_token(&c, channel_id),
        )
        .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "blacklist/add", input = Json)]
pub async fn add_to_blacklist(
    scope: RuleScope,
    labels: BTreeMap<String, String>,
) -> Result<BlacklistEntry, ApiError> {
    use super::context::*;
    let what = labels
        .get(crate::domain::alert_rules::LABEL_ALERTNAME)
        .cloned()
        .unwrap_or_else(|| "alert".into());
    respond(mutate("blacklist.add", scope, &what, |c, p| async move {
        p.blacklist_add(&c, scope, labels).await
    }))
    .await
}

#[server(prefix = "/api", endpoint = "blacklist/remove", input = Json)]
pub async fn remove_from_blacklist(scope: RuleScope, id: String) -> Result<(), ApiError> {
    use super::context::*;
    let what = id.clone();
    respond(mutate(
        "blacklist.remove",
        scope,
        &what,
        |c, p| async move { p.blacklist_remove(&c, scope, id).await },
    ))
    .await
}
