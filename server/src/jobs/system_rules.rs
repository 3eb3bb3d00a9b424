//! The system alert rule set in every monitored cluster (inventory §5.6); installing one rule of
//! it in one cluster is `RuleWriting::install_system_rule`.

use app::model::{AlertRuleInput, RuleReceiver, RunCounts};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::error::JobError;
use crate::alert_rules::RuleWriting;
use crate::db::entities::{alert_template, channel, cluster};

/// The rule set, with its receivers pointed at system-wide channels: a template's channel is
/// kept when it is one, otherwise the first system-wide channel takes its place.
async fn rule_set(db: &DatabaseConnection) -> Result<Vec<AlertRuleInput>, JobError> {
    let system_channels: Vec<i64> = channel::Entity::find()
        .filter(channel::Column::TenantId.is_null())
        .order_by_asc(channel::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let Some(&fallback) = system_channels.first() else {
        return Err(JobError::NotReady(
            "no system-wide alert channel exists, so system rules could not notify anyone: create one under Alert channels",
        ));
    };
    let mut templates = alert_template::Entity::find().all(db).await?;
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

pub async fn run(db: &DatabaseConnection, writing: &RuleWriting) -> Result<RunCounts, JobError> {
    let mut counts = RunCounts::default();
    // Built at the first monitored cluster: without one there is nothing to notify about, so a
    // missing system-wide channel is no failure yet.
    let mut set: Option<Vec<AlertRuleInput>> = None;
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(db)
        .await?;
    for c in clusters {
        let place = match writing.system_place(c.id).await {
            Ok(Some(place)) => place,
            Ok(None) => continue,
            Err(e) => {
                counts.error(format!("{}: {}", c.name, e.message));
                continue;
            }
        };
        let set = match &set {
            Some(set) => set,
            None => set.insert(rule_set(db).await?),
        };
        for input in set {
            counts.checked += 1;
            let name = input.name.clone();
            match writing.install_system_rule(&place, input.clone()).await {
                Ok(true) => counts.changed += 1,
                Ok(false) => {}
                Err(e) => counts.error(format!("{}/{name}: {}", place.handle.name, e.message)),
            }
        }
    }
    Ok(counts)
}
