//! Rows of `alert_rules` and `alert_receivers` to and from the shared model.

use std::collections::{BTreeMap, HashMap};

use app::domain::alert_rules::Target;
use app::error::ApiError;
use app::model::{AlertRule, AlertRuleInput, AlertType, RuleReceiver, RuleState, SyncStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::{alert_receiver, alert_rule, channel};
use crate::db::rfc3339;

pub const SYNC_OK: &str = "ok";
pub const SYNC_ERROR: &str = "error";

/// A stored rule with its receivers in order.
#[derive(Debug, Clone)]
pub struct Stored {
    pub row: alert_rule::Model,
    pub receivers: Vec<alert_receiver::Model>,
}

impl Stored {
    /// The rule's kind; `load` refused rows whose kind does not parse.
    pub fn kind(&self) -> AlertType {
        AlertType::parse(&self.row.alert_type).unwrap_or_default()
    }

    /// Rules without an environment live in the monitoring namespace and see every namespace.
    pub fn target(&self) -> Target<'_> {
        Target {
            namespace: &self.row.namespace,
            global: self.row.environment_id.is_none(),
        }
    }

    pub fn input(&self) -> AlertRuleInput {
        let r = &self.row;
        AlertRuleInput {
            name: r.name.clone(),
            alert_type: self.kind(),
            expr: r.expr.clone(),
            for_: r.for_duration.clone(),
            message: r.message.clone(),
            inhibit_labels: serde_json::from_str(&r.inhibit_labels).unwrap_or_default(),
            alert_levels: serde_json::from_str(&r.alert_levels).unwrap_or_default(),
            receivers: self
                .receivers
                .iter()
                .map(|x| RuleReceiver {
                    channel_id: x.channel_id,
                    interval: x.repeat_interval.clone(),
                })
                .collect(),
            promql_generator: r
                .promql_generator
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            logql_generator: r
                .logql_generator
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            is_open: r.is_open,
        }
    }

    pub fn view(
        &self,
        cluster: &str,
        channels: &HashMap<i64, String>,
        state: RuleState,
    ) -> AlertRule {
        let input = self.input();
        AlertRule {
            id: self.row.id,
            cluster_id: self.row.cluster_id,
            cluster: cluster.to_string(),
            namespace: self.row.namespace.clone(),
            environment_id: self.row.environment_id,
            channels: input
                .receivers
                .iter()
                .map(|r| {
                    (
                        r.channel_id,
                        channels.get(&r.channel_id).cloned().unwrap_or_default(),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            spec: input,
            state,
            sync: SyncStatus {
                ok: self.row.sync_status != SYNC_ERROR,
                error: self.row.sync_error.clone(),
            },
            updated_at: rfc3339(self.row.updated_at),
            check: check_of(&self.row),
        }
    }
}

/// What `check_detail` holds besides the status.
#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct CheckDetail {
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default)]
    pub diff: String,
}

/// The last config check of a rule, as the API shows it.
pub fn check_of(row: &alert_rule::Model) -> app::model::RuleCheck {
    let detail: CheckDetail = row
        .check_detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    app::model::RuleCheck {
        status: row.check_status.clone(),
        problems: detail.problems,
        diff: detail.diff,
        checked_at: if row.checked_at > 0 {
            rfc3339(row.checked_at)
        } else {
            String::new()
        },
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|_| ApiError::internal())
}

/// The columns an input sets (the rest are the caller's to fill).
pub fn columns(row: &mut alert_rule::ActiveModel, input: &AlertRuleInput) -> Result<(), ApiError> {
    row.alert_type = Set(input.alert_type.as_str().into());
    row.expr = Set(input.expr.clone());
    row.for_duration = Set(input.for_.trim().into());
    row.message = Set(input.message.clone());
    row.inhibit_labels = Set(json(&input.inhibit_labels)?);
    row.alert_levels = Set(json(&input.alert_levels)?);
    row.promql_generator = Set(match (&input.alert_type, &input.promql_generator) {
        (AlertType::Monitor, Some(g)) => Some(json(g)?),
        _ => None,
    });
    row.logql_generator = Set(match (&input.alert_type, &input.logql_generator) {
        (AlertType::Logging, Some(g)) => Some(json(g)?),
        _ => None,
    });
    Ok(())
}

/// Replaces the receivers of a rule.
pub async fn set_receivers<C: ConnectionTrait>(
    db: &C,
    rule_id: i64,
    input: &AlertRuleInput,
) -> Result<(), ApiError> {
    alert_receiver::Entity::delete_many()
        .filter(alert_receiver::Column::RuleId.eq(rule_id))
        .exec(db)
        .await?;
    for (i, r) in input.receivers.iter().enumerate() {
        alert_receiver::ActiveModel {
            rule_id: Set(rule_id),
            channel_id: Set(r.channel_id),
            repeat_interval: Set(r.interval.trim().into()),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Rules matching `filter`, with their receivers.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    filter: sea_orm::Condition,
) -> Result<Vec<Stored>, ApiError> {
    let rows = alert_rule::Entity::find()
        .filter(filter)
        .order_by_asc(alert_rule::Column::Namespace)
        .order_by_asc(alert_rule::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut receivers: HashMap<i64, Vec<alert_receiver::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = alert_receiver::Entity::find()
            .filter(alert_receiver::Column::RuleId.is_in(chunk.to_vec()))
            .order_by_asc(alert_receiver::Column::Position)
            .all(db)
            .await?;
        for r in found {
            receivers.entry(r.rule_id).or_default().push(r);
        }
    }
    // A kind that does not parse is corrupt: refused here, so `Stored::kind` never guesses.
    if let Some(bad) = rows
        .iter()
        .find(|r| AlertType::parse(&r.alert_type).is_none())
    {
        tracing::error!(rule = bad.id, kind = %bad.alert_type, "stored alert rule kind is not a known kind");
        return Err(ApiError::internal());
    }
    Ok(rows
        .into_iter()
        .map(|row| Stored {
            receivers: receivers.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub async fn one<C: ConnectionTrait>(
    db: &C,
    cluster_id: i64,
    namespace: &str,
    name: &str,
) -> Result<Option<Stored>, ApiError> {
    Ok(load(
        db,
        sea_orm::Condition::all()
            .add(alert_rule::Column::ClusterId.eq(cluster_id))
            .add(alert_rule::Column::Namespace.eq(namespace))
            .add(alert_rule::Column::Name.eq(name)),
    )
    .await?
    .pop())
}

/// Channel rows by id.
pub async fn channels<C: ConnectionTrait>(
    db: &C,
    mut ids: Vec<i64>,
) -> Result<HashMap<i64, channel::Model>, ApiError> {
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in channel::Entity::find()
            .filter(channel::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(c.id, c);
        }
    }
    Ok(out)
}
