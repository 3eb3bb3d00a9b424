//! Gemscope's own receiver, which every rule also routes to (KubeGems' default webhook): one
//! alert-info row per fingerprint and one alert-message row per status received, with the
//! tenant, project and environment the cluster and namespace belong to. Idempotent: Alertmanager
//! re-sending the same status stores nothing new, and nothing is acknowledged before it is
//! committed, so a crash only means Alertmanager sends again.

use app::error::ApiError;
use app::model::{AmReceiver, AmWebhookConfig};
use http::StatusCode;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::payload::{Alert, Group};
use crate::auth::secrets::SecretBox;
use crate::db::entities::{alert_info, alert_message, cluster, environment};
use crate::db::{internal, now};

pub const RECEIVER: &str = app::domain::alert_rules::HISTORY_RECEIVER;

fn purpose(cluster_id: i64) -> String {
    format!("history:{cluster_id}")
}

/// The history receiver of a cluster: a webhook to Gemscope with the cluster's token.
pub fn receiver(secrets: &SecretBox, base: &str, cluster_id: i64) -> AmReceiver {
    AmReceiver {
        name: RECEIVER.into(),
        webhook_configs: vec![AmWebhookConfig {
            url: format!(
                "{}/api/alertmanager/webhook?cluster={cluster_id}&token={}",
                base.trim_end_matches('/'),
                secrets.token(&purpose(cluster_id))
            ),
            send_resolved: Some(true),
        }],
    }
}

fn unix(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .ok()
        .filter(|t| *t > 0)
        .unwrap_or(0)
}

/// Alertmanager's fingerprint, or (for senders that leave it out) one from the labels.
fn fingerprint(a: &Alert) -> String {
    if !a.fingerprint.is_empty() {
        return a.fingerprint.chars().take(64).collect();
    }
    label_fingerprint(&a.labels)
}

/// A stable id of a label set (16 hex digits, like Alertmanager's fingerprints).
pub fn label_fingerprint(labels: &std::collections::BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update([0xff]);
        h.update(v.as_bytes());
        h.update([0xfe]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What an ingest stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub alerts: usize,
    pub new_messages: u64,
}

pub async fn ingest(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    cluster_id: i64,
    token: &str,
    group: &Group,
) -> Result<Stored, ApiError> {
    let known = cluster::Entity::find_by_id(cluster_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_some();
    if !known || !secrets.check_token(&purpose(cluster_id), token) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown cluster or wrong history token",
        ));
    }
    // Namespace → (tenant, project, environment) on this cluster.
    let envs = environment::Entity::find()
        .filter(environment::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await
        .map_err(internal)?;
    let owner = |ns: &str| {
        envs.iter()
            .find(|e| e.namespace == ns)
            .map(|e| (Some(e.tenant_id), e.project_id, e.id))
    };
    let t = now();
    let txn = db.begin().await.map_err(internal)?;
    let mut new_messages = 0;
    for a in &group.alerts {
        let fp = fingerprint(a);
        let ns = a.namespace().to_string();
        let (tenant, project, env) = match owner(&ns) {
            Some((tenant, p, e)) => (tenant, Some(p), Some(e)),
            None => (None, None, None),
        };
        let labels = serde_json::to_string(&a.labels).map_err(|_| ApiError::internal())?;
        match alert_info::Entity::find_by_id(fp.clone())
            .one(&txn)
            .await
            .map_err(internal)?
        {
            Some(existing) => {
                let mut row: alert_info::ActiveModel = existing.into();
                row.last_seen = Set(t);
                row.update(&txn).await.map_err(internal)?;
            }
            None => {
                alert_info::Entity::insert(alert_info::ActiveModel {
                    fingerprint: Set(fp.clone()),
                    cluster_id: Set(cluster_id),
                    namespace: Set(ns.chars().take(63).collect()),
                    alert_name: Set(a.name().chars().take(255).collect()),
                    tenant_id: Set(tenant),
                    project_id: Set(project),
                    environment_id: Set(env),
                    labels: Set(labels),
                    first_seen: Set(t),
                    last_seen: Set(t),
                })
                .on_conflict(
                    OnConflict::column(alert_info::Column::Fingerprint)
                        .update_column(alert_info::Column::LastSeen)
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(internal)?;
            }
        }
        let annotations =
            serde_json::to_string(&a.annotations).map_err(|_| ApiError::internal())?;
        let status = if a.status == "resolved" {
            "resolved"
        } else {
            "firing"
        };
        let starts_at = unix(&a.starts_at);
        // Row counts of an upsert differ between databases (MySQL counts matched rows): look first.
        let seen = alert_message::Entity::find()
            .filter(alert_message::Column::Fingerprint.eq(fp.as_str()))
            .filter(alert_message::Column::StartsAt.eq(starts_at))
            .filter(alert_message::Column::Status.eq(status))
            .one(&txn)
            .await
            .map_err(internal)?
            .is_some();
        if seen {
            continue;
        }
        alert_message::Entity::insert(alert_message::ActiveModel {
            fingerprint: Set(fp),
            status: Set(status.into()),
            starts_at: Set(starts_at),
            ends_at: Set(if status == "resolved" {
                unix(&a.ends_at)
            } else {
                0
            }),
            annotations: Set(annotations),
            received_at: Set(t),
            ..Default::default()
        })
        // A concurrent request may have stored it meanwhile: that is fine, not an error.
        // (MySQL has no DO NOTHING: `ON DUPLICATE KEY UPDATE id = id` changes no row.)
        .on_conflict(
            OnConflict::columns([
                alert_message::Column::Fingerprint,
                alert_message::Column::StartsAt,
                alert_message::Column::Status,
            ])
            .do_nothing_on([alert_message::Column::Id])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .map_err(internal)?;
        new_messages += 1;
    }
    txn.commit().await.map_err(internal)?;
    Ok(Stored {
        alerts: group.alerts.len(),
        new_messages,
    })
}
