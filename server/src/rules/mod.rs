//! Alert rules: stored in the database, written into the cluster in the same transaction
//! (inventory §3), state from the rules APIs (§5.4), enable/disable through one silence (§5.1),
//! blacklist silences (§5.3).

pub mod checks;
pub mod drift;
pub mod objects;
pub mod port;
pub mod rotate;
pub mod silences;
pub mod state;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::domain::alert_rules::{
    self as domain, Grouping, Rendered, Target, alertmanager_config, routes_to,
};
use app::error::ApiError;
use app::model::{
    AlertRuleInput, AlertType, AmReceiver, ClusterKind, Role, RuleScope, TemplateKey, TemplateRule,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use crate::auth::authz::{environment_as, require_system_admin};
use crate::auth::secrets::SecretBox;
use crate::cluster::records::{ClusterHandle, ClustersService};
use crate::db::entities::{alert_receiver, alert_rule};
use crate::db::{internal, now};
use crate::notify::deliver::Notifier;
use crate::observe::alertmanager::Alertmanager;
use objects::{Change, RuleObject};
use store::Stored;

pub struct AlertRulesService {
    pub db: DatabaseConnection,
    pub clusters: Arc<ClustersService>,
    pub notifier: Arc<Notifier>,
    pub secrets: Arc<SecretBox>,
    pub templates: Arc<dyn app::api::templates::TemplatesPort>,
    pub http: reqwest::Client,
    pub public_url: Option<String>,
    /// One writer per cluster: files and ConfigMap keys hold several rules.
    locks: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

/// Where a scope's rules live, resolved and authorised.
pub struct Place {
    pub handle: ClusterHandle,
    pub namespace: String,
    pub global: bool,
    pub environment_id: Option<i64>,
    pub tenant_id: Option<i64>,
}

impl Place {
    /// Where a stored rule lives, for work the system does on it (re-syncs).
    pub fn of_rule(handle: ClusterHandle, s: &Stored) -> Place {
        Place {
            handle,
            namespace: s.row.namespace.clone(),
            global: s.row.environment_id.is_none(),
            environment_id: s.row.environment_id,
            tenant_id: s.row.tenant_id,
        }
    }

    pub fn target(&self) -> Target<'_> {
        Target {
            namespace: &self.namespace,
            global: self.global,
        }
    }

    fn condition(&self) -> Condition {
        Condition::all()
            .add(alert_rule::Column::ClusterId.eq(self.handle.id))
            .add(alert_rule::Column::Namespace.eq(self.namespace.as_str()))
    }
}

fn cluster_error(handle: &ClusterHandle, e: String) -> ApiError {
    ApiError::new(
        http::StatusCode::BAD_GATEWAY,
        format!("cluster {}: {e}", handle.name),
    )
}

impl AlertRulesService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: DatabaseConnection,
        clusters: Arc<ClustersService>,
        notifier: Arc<Notifier>,
        secrets: Arc<SecretBox>,
        templates: Arc<dyn app::api::templates::TemplatesPort>,
        http: reqwest::Client,
        public_url: Option<String>,
    ) -> Self {
        AlertRulesService {
            db,
            clusters,
            notifier,
            secrets,
            templates,
            http,
            public_url,
            locks: Default::default(),
        }
    }

    async fn lock(&self, cluster_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(cluster_id).or_default().clone()
        };
        m.lock_owned().await
    }

    /// The scope as `caller` may use it with at least `min`: an environment's namespace, or
    /// (system administrators) the cluster's monitoring namespace.
    pub async fn place(
        &self,
        caller: &app::api::context::Caller,
        scope: RuleScope,
        min: Role,
    ) -> Result<Place, ApiError> {
        match scope {
            RuleScope::Environment(id) => {
                let env = environment_as(&self.db, caller, id, min).await?;
                let handle = self.clusters.handle(env.cluster_id).await?;
                Ok(Place {
                    handle,
                    namespace: env.namespace,
                    // An environment's rules never see other namespaces, whatever it is called.
                    global: false,
                    environment_id: Some(env.id),
                    tenant_id: Some(env.tenant_id),
                })
            }
            RuleScope::System(cluster_id) => {
                require_system_admin(caller)?;
                let handle = self.clusters.handle(cluster_id).await?;
                Ok(Place {
                    namespace: handle.settings.monitoring_ns().to_string(),
                    handle,
                    global: true,
                    environment_id: None,
                    tenant_id: None,
                })
            }
        }
    }

    /// How to reach one of the cluster's components (from the handle already loaded).
    pub fn component(
        &self,
        handle: &ClusterHandle,
        name: &str,
    ) -> Result<crate::observe::endpoint::Endpoint, ApiError> {
        crate::observe::endpoint::endpoints(handle.kind, &handle.settings, handle.client.as_ref())
            .into_iter()
            .find(|(c, _, _)| *c == name)
            .map(|(_, e, _)| e)
            .ok_or_else(|| {
                ApiError::new(
                    http::StatusCode::CONFLICT,
                    format!("cluster {} has no {name} configured", handle.name),
                )
            })
    }

    pub fn alertmanager(&self, handle: &ClusterHandle) -> Result<Alertmanager, ApiError> {
        Ok(Alertmanager {
            endpoint: self.component(handle, "alertmanager")?,
            http: self.http.clone(),
        })
    }

    /// The generator's template as the owner's tenant sees it.
    pub async fn template(
        &self,
        place: &Place,
        input: &AlertRuleInput,
    ) -> Result<Option<TemplateRule>, ApiError> {
        let Some(g) = input
            .promql_generator
            .as_ref()
            .filter(|_| input.alert_type == AlertType::Monitor)
        else {
            return Ok(None);
        };
        let key = TemplateKey {
            scope: g.scope.clone(),
            resource: g.resource.clone(),
            rule: g.rule.clone(),
        };
        match crate::templates::resolve(&self.db, place.tenant_id, &key).await {
            Ok(t) => Ok(Some(t.rule)),
            Err(e) if e.field.is_some() => Err(ApiError::invalid(
                "promqlGenerator",
                e.message.trim_start_matches("template: "),
            )),
            Err(e) => Err(e),
        }
    }

    /// The receivers of a rule in this cluster: each channel's webhook to Gemscope's notify
    /// endpoint, then the history receiver. Channels must exist and belong to the owner's tenant
    /// or the system.
    async fn routes<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
        tenant_id: Option<i64>,
        namespace: &str,
        input: &AlertRuleInput,
    ) -> Result<Vec<domain::RouteTo>, ApiError> {
        let base = handle
            .settings
            .notify_base(self.public_url.as_deref())
            .ok_or_else(|| {
                ApiError::new(
                    http::StatusCode::CONFLICT,
                    format!(
                        "cluster {} does not know how to reach Gemscope: set its Gemscope URL (or the server's public_url)",
                        handle.name
                    ),
                )
            })?;
        let ids: Vec<i64> = input.receivers.iter().map(|r| r.channel_id).collect();
        let rows = store::channels(db, ids).await?;
        let mut receivers: Vec<(AmReceiver, String)> = Vec::new();
        for r in &input.receivers {
            let row = rows
                .get(&r.channel_id)
                .filter(|c| c.tenant_id.is_none() || c.tenant_id == tenant_id)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "receivers",
                        format!("channel {} does not exist", r.channel_id),
                    )
                })?;
            receivers.push((self.notifier.receiver(&base, row), r.interval.trim().into()));
        }
        let history = crate::notify::history::receiver(
            &self.secrets,
            &base,
            crate::notify::history::HistoryTarget {
                cluster_id: handle.id,
                namespace,
                version: handle.history_token_version,
            },
        );
        Ok(routes_to(&receivers, history))
    }

    async fn object<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
        tenant_id: Option<i64>,
        target: &Target<'_>,
        input: &AlertRuleInput,
        rendered: &Rendered,
    ) -> Result<RuleObject, ApiError> {
        let routes = self
            .routes(db, handle, tenant_id, target.namespace, input)
            .await?;
        Ok(RuleObject {
            namespace: target.namespace.to_string(),
            name: input.name.clone(),
            kind: input.alert_type,
            group: rendered.group.clone(),
            am: alertmanager_config(
                target,
                &input.name,
                &input.inhibit_labels,
                &routes,
                &Grouping::of(&handle.settings),
            ),
        })
    }

    /// Every rule of the cluster as stored, rendered for writing (the files and ConfigMap keys
    /// that hold several rules are rendered from this).
    async fn cluster_objects<C: ConnectionTrait>(
        &self,
        db: &C,
        handle: &ClusterHandle,
    ) -> Result<Vec<RuleObject>, ApiError> {
        let all = store::load(
            db,
            Condition::all().add(alert_rule::Column::ClusterId.eq(handle.id)),
        )
        .await?;
        let mut out = Vec::with_capacity(all.len());
        for s in &all {
            let input = s.input();
            let target = s.target();
            let rendered = domain::from_stored(&input, &target).map_err(|e| {
                tracing::error!(rule = %s.row.name, error = %e.message, "a stored rule does not render");
                ApiError::internal()
            })?;
            out.push(
                self.object(db, handle, s.row.tenant_id, &target, &input, &rendered)
                    .await?,
            );
        }
        Ok(out)
    }

    fn needs_all(handle: &ClusterHandle, kinds: &[Option<AlertType>]) -> bool {
        handle.kind == ClusterKind::Standalone || kinds.contains(&Some(AlertType::Logging))
    }

    /// Writes one rule's change and settles its silence, then commits; if anything fails the
    /// transaction is rolled back and the cluster is put back to what the database says.
    #[allow(clippy::too_many_arguments)]
    async fn commit_with_cluster(
        &self,
        txn: DatabaseTransaction,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        after: Option<&RuleObject>,
        before: Option<AlertType>,
        enabled: Option<bool>,
    ) -> Result<usize, ApiError> {
        let kinds = [after.map(|a| a.kind), before];
        let all = if Self::needs_all(handle, &kinds) {
            self.cluster_objects(&txn, handle).await?
        } else {
            Vec::new()
        };
        let change = Change {
            namespace,
            name,
            after,
            before,
            rules: &all,
        };
        let written = objects::write(handle, &self.http, &change).await;
        let result = match written {
            Err(e) => Err(cluster_error(handle, e)),
            Ok(n) => match enabled {
                Some(enabled) => self
                    .silence(handle, namespace, name, enabled)
                    .await
                    .map(|m| n + m),
                None => Ok(n),
            },
        };
        let attempted = after.map(|a| a.kind).or(before);
        match result {
            Ok(n) => match txn.commit().await {
                Ok(()) => Ok(n),
                Err(e) => {
                    self.restore(handle, namespace, name, attempted, enabled.is_some())
                        .await;
                    Err(internal(e))
                }
            },
            Err(e) => {
                if let Err(re) = txn.rollback().await {
                    tracing::error!(error = %re, "rollback failed");
                }
                self.restore(handle, namespace, name, attempted, enabled.is_some())
                    .await;
                Err(e)
            }
        }
    }

    async fn silence(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        enabled: bool,
    ) -> Result<usize, ApiError> {
        let am = self.alertmanager(handle)?;
        silences::ensure_rule(&am, namespace, name, enabled)
            .await
            .map_err(|e| cluster_error(handle, e))
    }

    /// Puts the cluster back to what the database holds for one rule (after a failed save).
    /// Retried, because the failure that got us here may well happen again.
    async fn restore(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        attempted: Option<AlertType>,
        silence: bool,
    ) {
        for attempt in 0..40 {
            match self
                .try_restore(handle, namespace, name, attempted, silence)
                .await
            {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(cluster = %handle.name, %namespace, %name, attempt, error = %e.message, "restoring the cluster after a failed save");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        tracing::error!(cluster = %handle.name, %namespace, %name, "the cluster could not be restored; a re-sync will");
    }

    async fn try_restore(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        attempted: Option<AlertType>,
        silence: bool,
    ) -> Result<(), ApiError> {
        let stored = store::one(&self.db, handle.id, namespace, name).await?;
        let after = match &stored {
            Some(s) => {
                let input = s.input();
                let target = s.target();
                let rendered = domain::from_stored(&input, &target)?;
                Some(
                    self.object(
                        &self.db,
                        handle,
                        s.row.tenant_id,
                        &target,
                        &input,
                        &rendered,
                    )
                    .await?,
                )
            }
            None => None,
        };
        let before = match (&after, attempted) {
            (Some(a), Some(k)) if a.kind == k => None,
            (_, k) => k,
        };
        let kinds = [after.as_ref().map(|a| a.kind), before];
        let all = if Self::needs_all(handle, &kinds) {
            self.cluster_objects(&self.db, handle).await?
        } else {
            Vec::new()
        };
        objects::write(
            handle,
            &self.http,
            &Change {
                namespace,
                name,
                after: after.as_ref(),
                before,
                rules: &all,
            },
        )
        .await
        .map_err(|e| cluster_error(handle, e))?;
        if silence {
            let enabled = stored.as_ref().is_none_or(|s| s.row.is_open);
            self.silence(handle, namespace, name, enabled).await?;
        }
        Ok(())
    }

    /// The rule checked and rendered with its template, and the input as it is stored.
    async fn rendered_input(
        &self,
        place: &Place,
        input: &AlertRuleInput,
    ) -> Result<(Rendered, AlertRuleInput), ApiError> {
        let template = self.template(place, input).await?;
        let rendered = domain::render(input, &place.target(), template.as_ref())?;
        let stored = rendered.stored(input);
        Ok((rendered, stored))
    }

    /// A rule as committed, after a write.
    async fn reread(&self, place: &Place, name: &str) -> Result<Stored, ApiError> {
        store::one(&self.db, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(ApiError::internal)
    }

    /// Creates a rule: row, receivers, cluster objects and silence, all or nothing.
    pub async fn create_in(
        &self,
        place: &Place,
        input: AlertRuleInput,
    ) -> Result<Stored, ApiError> {
        // The monitoring namespace holds the system rules alone, so no environment's rule
        // (an environment a system administrator bound there) can take a system rule's name.
        if place.environment_id.is_some()
            && place.namespace == place.handle.settings.monitoring_ns()
        {
            return Err(ApiError::conflict(
                "namespace",
                "the cluster's monitoring namespace holds the system rules; write this rule as a system rule of the cluster",
            ));
        }
        let target = place.target();
        let (rendered, stored_input) = self.rendered_input(place, &input).await?;
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        if store::one(&txn, place.handle.id, &place.namespace, &input.name)
            .await?
            .is_some()
        {
            return Err(ApiError::conflict(
                "name",
                format!(
                    "a rule named {} exists in namespace {}",
                    input.name, place.namespace
                ),
            ));
        }
        let obj = self
            .object(
                &txn,
                &place.handle,
                place.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        let t = now();
        let mut row = alert_rule::ActiveModel {
            cluster_id: Set(place.handle.id),
            namespace: Set(place.namespace.clone()),
            name: Set(input.name.clone()),
            environment_id: Set(place.environment_id),
            tenant_id: Set(place.tenant_id),
            is_open: Set(input.is_open),
            state: Set("inactive".into()),
            sync_status: Set(store::SYNC_OK.into()),
            sync_error: Set(String::new()),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        };
        store::columns(&mut row, &stored_input)?;
        let row = row.insert(&txn).await.map_err(|e| {
            crate::db::conflict_or_internal(e, "name", "a rule with this name exists")
        })?;
        store::set_receivers(&txn, row.id, &stored_input).await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            &input.name,
            Some(&obj),
            None,
            // A new rule has no silence (deleting a rule expires its silence); only a rule
            // created disabled needs one.
            (!input.is_open).then_some(false),
        )
        .await?;
        self.reread(place, &input.name).await
    }

    pub async fn update_in(
        &self,
        place: &Place,
        name: &str,
        input: AlertRuleInput,
    ) -> Result<Stored, ApiError> {
        if input.name != name {
            return Err(ApiError::invalid(
                "name",
                "a rule cannot be renamed; copy it under the new name and delete this one",
            ));
        }
        let target = place.target();
        let (rendered, stored_input) = self.rendered_input(place, &input).await?;
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found("alert rule"))?;
        let obj = self
            .object(
                &txn,
                &place.handle,
                place.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        let mut row: alert_rule::ActiveModel = old.row.clone().into();
        store::columns(&mut row, &stored_input)?;
        row.updated_at = Set(now());
        row.sync_status = Set(store::SYNC_OK.into());
        row.sync_error = Set(String::new());
        row.update(&txn).await.map_err(internal)?;
        store::set_receivers(&txn, old.row.id, &stored_input).await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            name,
            Some(&obj),
            Some(old.kind()),
            None,
        )
        .await?;
        self.reread(place, name).await
    }

    pub async fn delete_in(&self, place: &Place, name: &str) -> Result<(), ApiError> {
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found("alert rule"))?;
        alert_receiver::Entity::delete_many()
            .filter(alert_receiver::Column::RuleId.eq(old.row.id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        alert_rule::Entity::delete_by_id(old.row.id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            name,
            None,
            Some(old.kind()),
            Some(true),
        )
        .await?;
        Ok(())
    }

    pub async fn set_enabled_in(
        &self,
        place: &Place,
        name: &str,
        enabled: bool,
    ) -> Result<Stored, ApiError> {
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found("alert rule"))?;
        let mut row: alert_rule::ActiveModel = old.row.clone().into();
        row.is_open = Set(enabled);
        row.updated_at = Set(now());
        row.update(&txn).await.map_err(internal)?;
        if let Err(e) = self
            .silence(&place.handle, &place.namespace, name, enabled)
            .await
        {
            let _ = txn.rollback().await;
            return Err(e);
        }
        if let Err(e) = txn.commit().await {
            let _ = self
                .silence(&place.handle, &place.namespace, name, old.row.is_open)
                .await;
            return Err(internal(e));
        }
        self.reread(place, name).await
    }

    /// Writes one stored rule again (re-rendered from its template, so a template edit reaches
    /// the rule, inventory §12.5) and settles its silence. Returns how many writes it took.
    pub async fn resync_one(&self, place: &Place, s: &Stored) -> Result<usize, ApiError> {
        self.rewrite(place, s, true).await
    }

    /// `full`: re-render from the template and settle the silence too; otherwise only the
    /// routing can have changed (a channel edit), so the stored rendering is written again.
    async fn rewrite(&self, place: &Place, s: &Stored, full: bool) -> Result<usize, ApiError> {
        let input = s.input();
        let template = if full {
            self.template(place, &input).await?
        } else {
            None
        };
        let target = s.target();
        let rendered = if full && (template.is_some() || input.logql_generator.is_some()) {
            domain::render(&input, &target, template.as_ref())?
        } else {
            domain::from_stored(&input, &target)?
        };
        let stored_input = rendered.stored(&input);
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
        if stored_input.expr != s.row.expr || stored_input.message != s.row.message {
            let mut row: alert_rule::ActiveModel = s.row.clone().into();
            store::columns(&mut row, &stored_input)?;
            row.updated_at = Set(now());
            row.update(&txn).await.map_err(internal)?;
        }
        let obj = self
            .object(
                &txn,
                &place.handle,
                s.row.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &s.row.namespace,
            &s.row.name,
            Some(&obj),
            Some(s.kind()),
            full.then_some(s.row.is_open),
        )
        .await
    }

    /// Records the outcome of a sync on the row (the list shows it).
    pub async fn record_sync(&self, id: i64, result: &Result<usize, ApiError>) {
        let (status, error) = match result {
            Ok(_) => (store::SYNC_OK, String::new()),
            Err(e) => (store::SYNC_ERROR, e.message.clone()),
        };
        let update = alert_rule::ActiveModel {
            id: Set(id),
            sync_status: Set(status.into()),
            sync_error: Set(error),
            ..Default::default()
        };
        if let Err(e) = update.update(&self.db).await {
            tracing::warn!(rule = id, error = %e, "recording the sync status");
        }
    }

    /// Re-syncs every rule that notifies a channel (after the channel changed). Returns the
    /// number of rules and of writes.
    pub async fn resync_channel(&self, channel_id: i64) -> Result<(usize, usize), ApiError> {
        let rules = self.rules_of_channel(channel_id).await?;
        let (count, writes, _) = self.rewrite_routing(rules).await?;
        Ok((count, writes))
    }

    /// Rule names that notify a channel (a channel in use cannot be deleted).
    pub async fn rules_using(&self, channel_id: i64) -> Result<Vec<String>, ApiError> {
        Ok(self
            .rules_of_channel(channel_id)
            .await?
            .into_iter()
            .map(|s| format!("{}/{}", s.row.namespace, s.row.name))
            .collect())
    }
}
