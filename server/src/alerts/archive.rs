//! History retention (KubeGems §11.1 step 6): notifications older than the retention age are
//! appended to monthly CSV files under `<data_dir>/archive/`, then deleted, in batches. A batch
//! is written and synced to disk before its rows go, so a crash can repeat a batch in the file
//! but never lose one. Inbox rows go with their notification; an instance goes once no
//! notification of it is left.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use app::error::{ApiError, Code};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::query::{joined, page};
use crate::db::entities::{alert_instance, alert_notification as n, inbox_item};
use crate::db::rfc3339;

/// What an archive run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Archived {
    pub notifications: u64,
    pub instances: u64,
    pub files: Vec<String>,
}

const BATCH: u64 = 500;

const HEADER: [&str; 16] = [
    "id",
    "received_at",
    "status",
    "starts_at",
    "ends_at",
    "cluster_id",
    "cluster",
    "namespace",
    "alert_name",
    "fingerprint",
    "tenant_id",
    "project",
    "environment",
    "message",
    "value",
    "labels",
];

fn month_of(ts: i64) -> String {
    rfc3339(ts).chars().take(7).collect()
}

/// A text cell as a spreadsheet reads it safely: text that a spreadsheet would take as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading `'`. Alert messages
/// and labels come from the clusters, so they are not trusted.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn file_for(dir: &Path, month: &str) -> PathBuf {
    dir.join(format!("alert-notifications.{month}.csv"))
}

fn io(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "writing the history archive failed");
    ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, Code::ArchiveFailed)
}

/// Archives and deletes every notification received before `cutoff` (Unix seconds).
pub async fn archive(
    db: &DatabaseConnection,
    data_dir: &Path,
    cutoff: i64,
) -> Result<Archived, ApiError> {
    let dir = data_dir.join("archive");
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut done = Archived::default();
    loop {
        let mut q = joined();
        q.and_where(Expr::col((n::Entity, n::Column::ReceivedAt)).lt(cutoff));
        // Oldest first, so each file grows in order.
        q.clear_order_by()
            .order_by((n::Entity, n::Column::Id), Order::Asc);
        let (rows, _) = page(db, q, 1, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let mut by_month: BTreeMap<String, Vec<&app::model::HistoryRow>> = BTreeMap::new();
        for r in &rows {
            by_month.entry(month_of(r.received_at)).or_default().push(r);
        }
        for (month, rows) in by_month {
            let path = file_for(&dir, &month);
            let fresh = !path.exists();
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io)?;
            let mut w = csv::Writer::from_writer(file);
            if fresh {
                w.write_record(HEADER).map_err(io)?;
            }
            for r in rows {
                let labels = serde_json::to_string(&r.labels).map_err(io)?;
                w.write_record([
                    r.id.to_string(),
                    rfc3339(r.received_at),
                    r.status.clone(),
                    rfc3339(r.starts_at),
                    if r.ends_at > 0 {
                        rfc3339(r.ends_at)
                    } else {
                        String::new()
                    },
                    r.cluster_id.to_string(),
                    cell(&r.cluster),
                    cell(&r.namespace),
                    cell(&r.alert_name),
                    cell(&r.fingerprint),
                    r.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
                    cell(&r.project),
                    cell(&r.environment),
                    cell(&r.message),
                    cell(&r.value),
                    cell(&labels),
                ])
                .map_err(io)?;
            }
            let file = w.into_inner().map_err(io)?;
            file.sync_all().map_err(io)?;
            let name = path.to_string_lossy().to_string();
            if !done.files.contains(&name) {
                done.files.push(name);
            }
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let txn = crate::db::begin_write(db).await?;
        inbox_item::Entity::delete_many()
            .filter(inbox_item::Column::NotificationId.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
        let gone = n::Entity::delete_many()
            .filter(n::Column::Id.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        done.notifications += gone.rows_affected;
    }
    // Instances with nothing left to show.
    let mut left = Query::select();
    left.column(n::Column::InstanceId).from(n::Entity);
    let orphans = alert_instance::Entity::delete_many()
        .filter(alert_instance::Column::LastSeen.lt(cutoff))
        .filter(Expr::col(alert_instance::Column::Id).not_in_subquery(left))
        .exec(db)
        .await?;
    done.instances = orphans.rows_affected;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_start_a_formula_are_prefixed() {
        let cases = [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("pod down", "pod down"),
            ("", ""),
            ("a=b", "a=b"),
        ];
        for (input, want) in cases {
            assert_eq!(cell(input), want, "{input:?}");
        }
    }
}
