//! Rule state from the rules APIs of every cluster (inventory §5.4), a few clusters at a time;
//! each cluster's refresh is `RuleStates::refresh_cluster`.

use std::time::Duration;

use app::model::RunCounts;
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::error::{ClusterFailure, JobError};
use crate::alert_rules::RuleStates;
use crate::db::entities::cluster;

/// Clusters asked at the same time.
const CONCURRENCY: usize = 4;

pub async fn run(
    db: &DatabaseConnection,
    states: &RuleStates,
    timeout: Duration,
) -> Result<RunCounts, JobError> {
    let clusters = cluster::Entity::find().all(db).await?;
    let results: Vec<_> = futures_util::stream::iter(clusters)
        .map(|c| async move {
            states
                .refresh_cluster(c.id, timeout)
                .await
                .map_err(|e| ClusterFailure::new(&c.name, e.message))
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut counts = RunCounts::default();
    for r in results {
        match r {
            Ok(r) => {
                counts.checked += r.checked;
                counts.changed += r.changed;
                for e in r.errors {
                    counts.error(e);
                }
            }
            Err(e) => counts.error(e.to_string()),
        }
    }
    Ok(counts)
}
