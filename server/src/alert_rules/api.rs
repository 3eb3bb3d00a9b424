//! `AlertRulesPort` for the API's server functions (app/src/api/alert_rules.rs): who may do what,
//! and the shapes the UI reads.

use std::collections::{BTreeMap, HashMap};

use app::api::alert_rules::AlertRulesPort;
use app::api::context::Caller;
use app::domain::alert_rules::{self as domain, Grouping, substitute_namespace};
use app::error::{ApiError, Code};
use app::model::{
    AlertRule, AlertRuleInput, Backtest, BlacklistEntry, ImportItem, LevelCheck, Role, RuleDetail,
    RuleEditorContext, RuleList, RuleScope, RuleState,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use super::store::{self, Stored};
use super::{AlertRulesService, RulePlace, RuleStates, RulesCore};
use crate::db::entities::{alert_rule, channel};

/// Import files larger than this are refused before parsing.
const MAX_IMPORT_BYTES: usize = 1 << 20;

impl RulesCore {
    async fn channel_names(&self, rules: &[Stored]) -> Result<HashMap<i64, String>, ApiError> {
        let ids: Vec<i64> = rules
            .iter()
            .flat_map(|s| s.receivers.iter().map(|r| r.channel_id))
            .collect();
        Ok(store::channels(&self.db, ids)
            .await?
            .into_iter()
            .map(|(id, c)| (id, c.name))
            .collect())
    }

    async fn in_scope(&self, place: &RulePlace) -> Result<Vec<Stored>, ApiError> {
        let mut cond = place.condition();
        if let Some(env) = place.environment_id {
            cond = cond.add(alert_rule::Column::EnvironmentId.eq(env));
        }
        store::load(&self.db, cond).await
    }

    async fn find(&self, place: &RulePlace, name: &str) -> Result<Stored, ApiError> {
        store::one(&self.db, place.handle.id, &place.namespace, name)
            .await?
            .filter(|s| {
                place.environment_id.is_none() || s.row.environment_id == place.environment_id
            })
            .ok_or_else(|| ApiError::not_found(Code::AlertRuleNotFound))
    }

    async fn view(&self, place: &RulePlace, s: &Stored) -> Result<AlertRule, ApiError> {
        let names = self.channel_names(std::slice::from_ref(s)).await?;
        Ok(s.view(&place.handle.name, &names, RuleState::Unknown))
    }
}

/// Moves a raw expression's namespace matcher to the copy's namespace.
fn renamespace(input: &mut AlertRuleInput, from: &str, to: &str) {
    if from == to {
        return;
    }
    let quoted = |ns: &str| format!("namespace={}", app::domain::promql_scope::quote(ns));
    input.expr = input.expr.replace(&quoted(from), &quoted(to));
    if input.promql_generator.is_some() || input.logql_generator.is_some() {
        input.expr.clear();
    }
}

#[async_trait::async_trait]
impl AlertRulesPort for AlertRulesService {
    async fn context(
        &self,
        caller: &Caller,
        scope: RuleScope,
    ) -> Result<RuleEditorContext, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        let can_edit = self.place(caller, scope, Role::Member).await.is_ok();
        let mut owner = Condition::any().add(channel::Column::TenantId.is_null());
        if let Some(t) = place.tenant_id {
            owner = owner.add(channel::Column::TenantId.eq(t));
        }
        let channels = channel::Entity::find()
            .filter(owner)
            .order_by_asc(channel::Column::Name)
            .all(&self.core().db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let templates = self
            .core()
            .templates
            .search(caller, place.tenant_id, String::new())
            .await?;
        let grouping = Grouping::of(&place.handle.settings);
        Ok(RuleEditorContext {
            cluster_id: place.handle.id,
            cluster: place.handle.name.clone(),
            namespace: place.namespace.clone(),
            global: place.global,
            group_wait: grouping.wait,
            group_interval: grouping.interval,
            channels,
            templates,
            can_edit,
        })
    }

    async fn list(&self, caller: &Caller, scope: RuleScope) -> Result<RuleList, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        let rules = self.core().in_scope(&place).await?;
        let names = self.core().channel_names(&rules).await?;
        let (states, failed, state_error) = self.states.states(&place.handle, &rules).await;
        let mut out = RuleList {
            namespace: place.namespace.clone(),
            cluster_id: place.handle.id,
            state_error,
            ..Default::default()
        };
        for s in &rules {
            let (st, _) = RuleStates::state_of(&states, &failed, s);
            match st {
                RuleState::Inactive => out.counts.inactive += 1,
                RuleState::Pending => out.counts.pending += 1,
                RuleState::Firing => out.counts.firing += 1,
                RuleState::Unknown => out.counts.unknown += 1,
            }
            out.rules.push(s.view(&place.handle.name, &names, st));
        }
        Ok(out)
    }

    async fn get(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
    ) -> Result<RuleDetail, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        let s = self.core().find(&place, &name).await?;
        let names = self.core().channel_names(std::slice::from_ref(&s)).await?;
        let (states, failed, state_error) = self
            .states
            .states(&place.handle, std::slice::from_ref(&s))
            .await;
        let (st, alerts) = RuleStates::state_of(&states, &failed, &s);
        let input = s.input();
        let target = s.target();
        let rendered = domain::from_stored(&input, &target)?;
        let objects = domain::shown_objects(
            &input,
            &target,
            &rendered,
            &Grouping::of(&place.handle.settings),
        )?;
        Ok(RuleDetail {
            rule: s.view(&place.handle.name, &names, st),
            objects,
            alerts,
            state_error,
        })
    }

    async fn create(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
    ) -> Result<AlertRule, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        let s = self.writing.create_rule(&place, input).await?;
        self.core().view(&place, &s).await
    }

    async fn update(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        input: AlertRuleInput,
    ) -> Result<AlertRule, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        self.core().find(&place, &name).await?;
        let s = self.writing.update_rule(&place, &name, input).await?;
        self.core().view(&place, &s).await
    }

    async fn delete(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
    ) -> Result<(), ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        self.core().find(&place, &name).await?;
        self.writing.delete_rule(&place, &name).await
    }

    async fn set_enabled(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        enabled: bool,
    ) -> Result<AlertRule, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        self.core().find(&place, &name).await?;
        let s = self
            .writing
            .set_rule_enabled(&place, &name, enabled)
            .await?;
        self.core().view(&place, &s).await
    }

    async fn sync(&self, caller: &Caller, scope: RuleScope) -> Result<Vec<ImportItem>, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        // A system administrator's re-sync covers every rule of the cluster.
        let rules = if place.global {
            store::load(
                &self.core().db,
                Condition::all().add(alert_rule::Column::ClusterId.eq(place.handle.id)),
            )
            .await?
        } else {
            self.core().in_scope(&place).await?
        };
        let mut out = Vec::new();
        for s in rules {
            let own = RulePlace::of_rule(place.handle.clone(), &s);
            let r = self.core().resync_one(&own, &s).await;
            self.core().record_sync(s.row.id, &r).await;
            out.push(ImportItem {
                name: format!("{}/{}", s.row.namespace, s.row.name),
                created: matches!(r, Ok(n) if n > 0),
                error: r.err().map(|e| e.message).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    async fn import(
        &self,
        caller: &Caller,
        scope: RuleScope,
        yaml: String,
    ) -> Result<Vec<ImportItem>, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        if yaml.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::invalid("yaml", Code::FileTooLarge));
        }
        let items: Vec<serde_norway::Value> = serde_norway::from_str(&yaml)
            .map_err(|e| ApiError::invalid("yaml", Code::NotRuleList).arg(e))?;
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let name = item
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("item {}", i + 1));
            let parsed: Result<AlertRuleInput, ApiError> =
                serde_norway::from_value(item).map_err(|e| {
                    ApiError::invalid("yaml", Code::RuleInFile)
                        .arg(&name)
                        .arg(e)
                });
            let result = match parsed {
                Ok(mut input) => {
                    substitute_namespace(&mut input, &place.namespace);
                    self.writing.create_rule(&place, input).await.map(|_| ())
                }
                Err(e) => Err(e),
            };
            out.push(ImportItem {
                name,
                created: result.is_ok(),
                error: result
                    .err()
                    .map(|e| match e.field {
                        Some(f) if !e.message.starts_with(&f) => format!("{f}: {}", e.message),
                        _ => e.message,
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    }

    async fn copy(
        &self,
        caller: &Caller,
        scope: RuleScope,
        name: String,
        to: RuleScope,
    ) -> Result<AlertRule, ApiError> {
        let from = self.place(caller, scope, Role::Viewer).await?;
        let s = self.core().find(&from, &name).await?;
        let dest = self.place(caller, to, Role::Member).await?;
        let mut input = s.input();
        renamespace(&mut input, &from.namespace, &dest.namespace);
        let created = self.writing.create_rule(&dest, input).await?;
        self.core().view(&dest, &created).await
    }

    async fn fires_now(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
    ) -> Result<Vec<LevelCheck>, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        self.checks.check_now(&place, &input).await
    }

    async fn backtest(
        &self,
        caller: &Caller,
        scope: RuleScope,
        input: AlertRuleInput,
        range_secs: i64,
    ) -> Result<Backtest, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        self.checks.run_backtest(&place, &input, range_secs).await
    }

    async fn blacklist(
        &self,
        caller: &Caller,
        scope: RuleScope,
    ) -> Result<Vec<BlacklistEntry>, ApiError> {
        let place = self.place(caller, scope, Role::Viewer).await?;
        self.silences.list(&place).await
    }

    async fn blacklist_add(
        &self,
        caller: &Caller,
        scope: RuleScope,
        labels: BTreeMap<String, String>,
    ) -> Result<BlacklistEntry, ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        self.silences.add(&place, &labels, &caller.username).await
    }

    async fn blacklist_remove(
        &self,
        caller: &Caller,
        scope: RuleScope,
        id: String,
    ) -> Result<(), ApiError> {
        let place = self.place(caller, scope, Role::Member).await?;
        self.silences.remove(&place, &id).await
    }

    async fn rotate_history_tokens(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<app::model::TokenRotation, ApiError> {
        self.writing.rotate_history(caller, cluster_id).await
    }

    async fn rotate_channel_token(
        &self,
        caller: &Caller,
        channel_id: i64,
    ) -> Result<app::model::TokenRotation, ApiError> {
        self.writing.rotate_channel(caller, channel_id).await
    }
}
