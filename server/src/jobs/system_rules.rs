//! The system alert rule set in every monitored cluster (inventory §5.6): created when missing,
//! written again when its last sync or check was not ok, healthy ones left alone.

use app::error::Code;
use std::sync::Arc;

use app::model::{AlertRuleInput, Component, RuleReceiver, RunCounts};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::error::JobError;
use crate::db::entities::{alert_template, channel, cluster};
use crate::rules::drift::ERROR;
use crate::rules::store::{self, SYNC_ERROR};
use crate::rules::{AlertRulesService, RulePlace};

/// The rule set, with its receivers pointed at system-wide channels: a template's channel is
/// kept when it is one, otherwise the first system-wide channel takes its place.
async fn rule_set(rules: &AlertRulesService) -> Result<Vec<AlertRuleInput>, JobError> {
    let system_channels: Vec<i64> = channel::Entity::find()
        .filter(channel::Column::TenantId.is_null())
        .order_by_asc(channel::Column::Id)
        .all(&rules.db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let Some(&fallback) = system_channels.first() else {
        return Err(JobError::NotReady(
            "no system-wide alert channel exists, so system rules could not notify anyone: create one under Alert channels",
        ));
    };
    let mut templates = alert_template::Entity::find().all(&rules.db).await?;
    templates.sort_by_key(|t| t.id);
    let mut out = Vec::new();
    for t in templates {
        let mut input: AlertRuleInput =
            serde_json::from_str(&t.body).map_err(|e| JobError::Corrupt {
                what: format!("system rule {}", t.name),
                reason: e.to_string(),
            })?;
        let mut receivers: Vec<RuleReceiver> = input
            .receivers
            .iter()
            .filter(|r| system_channels.contains(&r.channel_id))
            .cloned()
            .collect();
        if receivers.is_empty() {
            let interval = input
                .receivers
                .first()
                .map(|r| r.interval.trim().to_string())
                .unwrap_or_else(|| "12h".into());
            receivers.push(RuleReceiver {
                channel_id: fallback,
                interval,
            });
        }
        input.receivers = receivers;
        out.push(input);
    }
    Ok(out)
}

pub async fn run(rules: Arc<AlertRulesService>) -> Result<RunCounts, JobError> {
    let mut counts = RunCounts::default();
    // Built at the first monitored cluster: without one there is nothing to notify about, so a
    // missing system-wide channel is no failure yet.
    let mut set: Option<Vec<AlertRuleInput>> = None;
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(&rules.db)
        .await?;
    for c in clusters {
        let handle = match rules.clusters.handle(c.id).await {
            Ok(h) => h,
            Err(e) => {
                counts.error(format!("{}: {}", c.name, e.message));
                continue;
            }
        };
        // Monitoring is present when Prometheus and Alertmanager are configured.
        if handle.component(Component::Prometheus).is_err()
            || handle.component(Component::Alertmanager).is_err()
        {
            continue;
        }
        let set = match &set {
            Some(set) => set,
            None => set.insert(rule_set(&rules).await?),
        };
        let place = RulePlace {
            namespace: handle.settings.monitoring_ns().to_string(),
            handle: handle.clone(),
            global: true,
            environment_id: None,
            tenant_id: None,
        };
        for input in set {
            counts.checked += 1;
            let mut input = input.clone();
            app::domain::alert_rules::substitute_namespace(&mut input, &place.namespace);
            let name = input.name.clone();
            let existing =
                match store::one(&rules.db, handle.id, &place.namespace, &input.name).await {
                    Ok(e) => e,
                    Err(e) => {
                        counts.error(format!("{}/{name}: {}", handle.name, e.message));
                        continue;
                    }
                };
            let result = match existing {
                None => rules.create_rule(&place, input.clone()).await.map(|_| true),
                // Only a system administrator can bind the monitoring namespace to an
                // environment; a rule of that environment must not pass for the system rule.
                Some(s) if s.row.environment_id.is_some() => Err(app::error::ApiError::conflict(
                    "name",
                    Code::SystemRuleNameTaken,
                )),
                Some(s) if s.row.sync_status == SYNC_ERROR || s.row.check_status == ERROR => {
                    // Kept as the operator set it: whether the rule is on.
                    input.is_open = s.row.is_open;
                    rules.update_rule(&place, &name, input).await.map(|_| true)
                }
                Some(_) => Ok(false),
            };
            match result {
                Ok(true) => counts.changed += 1,
                Ok(false) => {}
                Err(e) => counts.error(format!("{}/{name}: {}", handle.name, e.message)),
            }
        }
    }
    Ok(counts)
}
