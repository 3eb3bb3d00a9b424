//! Gemscope's own receiver, which every rule also routes to (KubeGems' default webhook, §11.1):
//! one instance row per (cluster, fingerprint) with its labels as rows, one notification row per
//! alert in every notification received (repeats are what episodes count), and one inbox row per
//! user who should see it. A whole payload is one transaction, acknowledged only once committed,
//! so a crash only means Alertmanager sends again.
//!
//! Statements are batched per payload rather than per alert: the receiver must keep up with
//! Alertmanager during an alert storm (see the `history_ingest` load script).

use app::error::{ApiError, Code};
use app::model::{AmReceiver, AmWebhookConfig};
use http::StatusCode;
use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
};

use super::payload::{Alert, Group};
use crate::auth::secrets::SecretBox;
use crate::db::entities::{
    alert_instance, alert_label, alert_notification, cluster, environment, inbox_item,
    tenant_member, user,
};
use crate::db::now;

pub const RECEIVER: &str = app::domain::alert_rules::HISTORY_RECEIVER;

/// What a history token is for: one namespace of one cluster, at the cluster's token version.
/// Whoever reads one namespace's AlertmanagerConfig can post alerts for that namespace only.
fn purpose(cluster_id: i64, namespace: &str, version: i32) -> String {
    format!("history:{cluster_id}:{namespace}:{version}")
}

/// Where a rule's alerts are posted for the history: the cluster, the rule's namespace and the
/// cluster's token version.
#[derive(Debug, Clone, Copy)]
pub struct HistoryTarget<'a> {
    pub cluster_id: i64,
    pub namespace: &'a str,
    pub version: i32,
}

/// The history receiver of a rule: a webhook to Gemscope with its namespace's token.
pub fn receiver(secrets: &SecretBox, base: &str, to: HistoryTarget<'_>) -> AmReceiver {
    let query = serde_urlencoded::to_string([
        ("cluster", to.cluster_id.to_string()),
        ("namespace", to.namespace.to_string()),
        (
            "token",
            secrets.token(&purpose(to.cluster_id, to.namespace, to.version)),
        ),
    ])
    .unwrap_or_default();
    AmReceiver {
        name: RECEIVER.into(),
        webhook_configs: vec![AmWebhookConfig {
            url: format!(
                "{}/api/alertmanager/webhook?{query}",
                base.trim_end_matches('/')
            ),
            url_secret: None,
            send_resolved: Some(true),
        }],
    }
}

/// Whether `token` is the history token of `namespace` (at the current version, or the retired
/// one while a rotation is under way).
fn token_is_valid(secrets: &SecretBox, row: &cluster::Model, namespace: &str, token: &str) -> bool {
    [Some(row.history_token_version), row.history_token_retired]
        .into_iter()
        .flatten()
        .any(|v| secrets.check_token(&purpose(row.id, namespace, v), token))
}

/// The alerts a namespace's token may post: its own. The monitoring namespace's (system rules,
/// which see every namespace) may post any. Returns the alerts kept and how many were refused.
pub fn own_alerts(group: &Group, namespace: &str, system: bool) -> (Group, usize) {
    if system {
        return (group.clone(), 0);
    }
    let mut kept = group.clone();
    kept.alerts.retain(|a| a.namespace() == namespace);
    let refused = group.alerts.len() - kept.alerts.len();
    (kept, refused)
}

fn unix(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.timestamp())
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
pub struct Ingested {
    pub alerts: usize,
    /// Instances seen for the first time.
    pub new_alerts: usize,
    /// Inbox rows written (notifications times recipients).
    pub delivered: usize,
}

/// Who owns a namespace of the cluster: (tenant, project, environment).
type Owner = (i64, i64, i64);

/// Label values are cut to what the index holds; search cuts its needle the same way.
pub const LABEL_VALUE_MAX: usize = 255;

pub fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn ingest(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    cluster_id: i64,
    namespace: &str,
    token: &str,
    group: &Group,
) -> Result<Ingested, ApiError> {
    let row = cluster::Entity::find_by_id(cluster_id).one(db).await?;
    let Some(row) = row.filter(|r| token_is_valid(secrets, r, namespace, token)) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            Code::WrongHistoryToken,
        ));
    };
    let settings: app::model::ClusterSettings =
        serde_json::from_str(&row.settings).map_err(|e| {
            tracing::error!(cluster = cluster_id, error = %e, "stored cluster settings do not parse");
            ApiError::internal()
        })?;
    let (own, refused) = own_alerts(group, namespace, namespace == settings.monitoring_ns());
    if refused > 0 {
        tracing::warn!(
            cluster = cluster_id,
            namespace,
            refused,
            "history payload held alerts of other namespaces; they were dropped"
        );
        if own.alerts.is_empty() {
            return Err(
                ApiError::new(StatusCode::FORBIDDEN, Code::TokenNamespaceOnly).arg(namespace),
            );
        }
    }
    let group = &own;
    let owners: HashMap<String, Owner> = environment::Entity::find()
        .filter(environment::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.namespace, (e.tenant_id, e.project_id, e.id)))
        .collect();
    // SQLite has one writer: a transaction that read first and then writes fails at once
    // (SQLITE_BUSY_SNAPSHOT) when another connection wrote meanwhile, so this process takes
    // turns. Replicas sharing a database need PostgreSQL or MySQL anyway.
    let _turn = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    };
    // Concurrent webhooks can deadlock on the same new rows (MySQL, PostgreSQL) or find the
    // database busy: the whole payload is retried, as it was rolled back.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store(db, cluster_id, group, &owners).await {
            Ok(stored) => return Ok(stored),
            Err(e) if attempt < 8 && retryable(&e) => {
                tracing::debug!(error = %e, attempt, "history ingest retried");
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            Err(e) => return Err(ApiError::from(e)),
        }
    }
}

async fn store(
    db: &DatabaseConnection,
    cluster_id: i64,
    group: &Group,
    owners: &HashMap<String, Owner>,
) -> Result<Ingested, DbErr> {
    let t = now();
    let txn = crate::db::begin_write(db).await?;
    let (ids, new_alerts) = instances(&txn, cluster_id, group, owners, t).await?;
    let mut recipients = Recipients::default();
    let mut inbox = Vec::new();
    for (a, id) in group.alerts.iter().zip(&ids) {
        let owner = owners.get(a.namespace()).copied();
        let status = if a.status == "resolved" {
            "resolved"
        } else {
            "firing"
        };
        let row = alert_notification::ActiveModel {
            instance_id: Set(*id),
            tenant_id: Set(owner.map(|o| o.0)),
            project_id: Set(owner.map(|o| o.1)),
            status: Set(status.into()),
            starts_at: Set(unix(&a.starts_at)),
            ends_at: Set(if status == "resolved" {
                unix(&a.ends_at)
            } else {
                0
            }),
            message: Set(a.message().to_string()),
            value: Set(cut(
                a.annotations.get("value").map(String::as_str).unwrap_or(""),
                LABEL_VALUE_MAX,
            )),
            received_at: Set(t),
            ..Default::default()
        };
        // One by one: the id of each row is needed for the inbox, and MySQL returns no ids
        // from a multi-row insert.
        let notification = alert_notification::Entity::insert(row)
            .exec(&txn)
            .await?
            .last_insert_id;
        for user_id in recipients.of(&txn, owner.map(|o| o.0)).await? {
            inbox.push(inbox_item::ActiveModel {
                user_id: Set(*user_id),
                notification_id: Set(notification),
                is_read: Set(false),
                created_at: Set(t),
                ..Default::default()
            });
        }
    }
    let delivered = inbox.len();
    for chunk in chunks(inbox) {
        inbox_item::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Ingested {
        alerts: group.alerts.len(),
        new_alerts,
        delivered,
    })
}

/// MySQL's repeatable read keeps the transaction's first snapshot: a row another webhook
/// committed after it (our insert found it and did nothing) is not seen until a new transaction.
const NOT_VISIBLE: &str = "an alert stored by a concurrent webhook is not visible yet";

/// Deadlocks, serialization failures, a busy SQLite, and a row of a concurrent webhook not yet
/// visible: worth running the payload again in a new transaction.
fn retryable(e: &DbErr) -> bool {
    let text = e.to_string().to_lowercase();
    [
        NOT_VISIBLE,
        "deadlock",
        "could not serialize",
        "database is locked",
        "lock wait timeout",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Rows per multi-row insert: well under every database's bound-parameter limit.
const CHUNK: usize = 400;

fn chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(CHUNK).collect());
    }
    out
}

/// The instance id of every alert of the payload, in order, creating the unseen ones and
/// moving `last_seen` of the others; also how many were new.
async fn instances(
    txn: &DatabaseTransaction,
    cluster_id: i64,
    group: &Group,
    owners: &HashMap<String, Owner>,
    t: i64,
) -> Result<(Vec<i64>, usize), DbErr> {
    let fps: Vec<String> = group.alerts.iter().map(fingerprint).collect();
    let mut known: HashMap<String, i64> = HashMap::new();
    for chunk in fps.chunks(CHUNK) {
        for row in alert_instance::Entity::find()
            .filter(alert_instance::Column::ClusterId.eq(cluster_id))
            .filter(alert_instance::Column::Fingerprint.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            known.insert(row.fingerprint, row.id);
        }
    }
    let seen: Vec<i64> = known.values().copied().collect();
    for chunk in seen.chunks(CHUNK) {
        alert_instance::Entity::update_many()
            .col_expr(alert_instance::Column::LastSeen, Expr::value(t))
            .filter(alert_instance::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    // Several webhooks may bring the same new alert at once: an insert that finds the row
    // already there does nothing, and the ids are read back afterwards.
    let mut fresh: Vec<(&Alert, &String)> = Vec::new();
    for (a, fp) in group.alerts.iter().zip(&fps) {
        if known.contains_key(fp) || fresh.iter().any(|(_, f)| *f == fp) {
            continue;
        }
        fresh.push((a, fp));
        let owner = owners.get(a.namespace()).copied();
        alert_instance::Entity::insert(alert_instance::ActiveModel {
            cluster_id: Set(cluster_id),
            fingerprint: Set(fp.clone()),
            namespace: Set(cut(a.namespace(), 63)),
            alert_name: Set(cut(a.name(), 255)),
            tenant_id: Set(owner.map(|o| o.0)),
            project_id: Set(owner.map(|o| o.1)),
            environment_id: Set(owner.map(|o| o.2)),
            labels: Set(serde_json::to_string(&a.labels).map_err(|e| DbErr::Custom(e.to_string()))?),
            first_seen: Set(t),
            last_seen: Set(t),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                alert_instance::Column::ClusterId,
                alert_instance::Column::Fingerprint,
            ])
            .do_nothing_on([alert_instance::Column::Id])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        ?;
    }
    let new_alerts = fresh.len();
    let mut labels = Vec::new();
    for chunk in fresh.chunks(CHUNK) {
        for row in alert_instance::Entity::find()
            .filter(alert_instance::Column::ClusterId.eq(cluster_id))
            .filter(
                alert_instance::Column::Fingerprint
                    .is_in(chunk.iter().map(|(_, fp)| (*fp).clone())),
            )
            .all(txn)
            .await?
        {
            known.insert(row.fingerprint, row.id);
        }
    }
    for (a, fp) in &fresh {
        let id = *known
            .get(*fp)
            .ok_or_else(|| DbErr::Custom(NOT_VISIBLE.into()))?;
        labels.extend(label_rows(id, &a.labels));
    }
    for chunk in chunks(labels) {
        alert_label::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([alert_label::Column::InstanceId, alert_label::Column::Name])
                    .do_nothing_on([alert_label::Column::InstanceId])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    let ids = fps.iter().map(|fp| known[fp]).collect();
    Ok((ids, new_alerts))
}

fn label_rows(id: i64, labels: &BTreeMap<String, String>) -> Vec<alert_label::ActiveModel> {
    labels
        .iter()
        .map(|(k, v)| alert_label::ActiveModel {
            instance_id: Set(id),
            name: Set(cut(k, 255)),
            value: Set(cut(v, LABEL_VALUE_MAX)),
        })
        .collect()
}

/// Who sees an alert in the message centre: every member of the tenant whose environment holds
/// its namespace (Gemscope's roles are per tenant, so every member can read the environment);
/// system admins for the monitoring namespace and namespaces no environment owns.
#[derive(Default)]
struct Recipients {
    by_tenant: HashMap<Option<i64>, Vec<i64>>,
}

impl Recipients {
    async fn of(
        &mut self,
        txn: &DatabaseTransaction,
        tenant: Option<i64>,
    ) -> Result<&Vec<i64>, DbErr> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.by_tenant.entry(tenant) {
            let users = match tenant {
                Some(t) => tenant_member::Entity::find()
                    .filter(tenant_member::Column::TenantId.eq(t))
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect(),
                None => user::Entity::find()
                    .filter(user::Column::IsSystemAdmin.eq(true))
                    .filter(user::Column::Active.eq(true))
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|u| u.id)
                    .collect(),
            };
            slot.insert(users);
        }
        Ok(&self.by_tenant[&tenant])
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
