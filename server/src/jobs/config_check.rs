//! The config check over every cluster, a few at a time: each cluster's rules compared with
//! what it holds, the result stored per rule, the orphans kept up to date
//! (`RuleChecks::check_and_record`).

use std::time::Duration;

use app::model::RunCounts;
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::error::{ClusterFailure, JobError};
use crate::alert_rules::RuleChecks;
use crate::db::entities::cluster;

const CONCURRENCY: usize = 4;

pub async fn run(
    db: &DatabaseConnection,
    checks: &RuleChecks,
    timeout: Duration,
) -> Result<RunCounts, JobError> {
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(db)
        .await?;
    let results: Vec<_> = futures_util::stream::iter(clusters)
        .map(|c| async move {
            checks
                .check_and_record(c.id, timeout)
                .await
                .map_err(|e| ClusterFailure::new(&c.name, e))
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut counts = RunCounts::default();
    for r in results {
        match r {
            Ok(c) => {
                counts.checked += c.rules;
                counts.drifted += c.drifted;
                for n in c.notes {
                    counts.note(n);
                }
            }
            Err(e) => counts.error(e.to_string()),
        }
    }
    Ok(counts)
}
