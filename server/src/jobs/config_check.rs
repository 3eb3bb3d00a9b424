//! The config check over every cluster: each cluster's rules compared with what it holds, the
//! result stored per rule, the orphans replaced.

use std::sync::Arc;
use std::time::Duration;

use app::model::RunCounts;
use futures_util::StreamExt;
use sea_orm::{EntityTrait, QueryOrder};

use crate::db::entities::cluster;
use crate::db::internal;
use crate::rules::AlertRulesService;
use crate::rules::drift::ERROR;

const CONCURRENCY: usize = 4;

pub async fn run(rules: Arc<AlertRulesService>, timeout: Duration) -> Result<RunCounts, String> {
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(&rules.db)
        .await
        .map_err(|e| internal(e).message)?;
    let results: Vec<Result<(u64, u64, u64, Vec<String>), String>> =
        futures_util::stream::iter(clusters)
            .map(|c| {
                let rules = rules.clone();
                async move {
                    let handle = rules
                        .clusters
                        .handle(c.id)
                        .await
                        .map_err(|e| format!("{}: {}", c.name, e.message))?;
                    let check = tokio::time::timeout(timeout, rules.check_cluster(&handle))
                        .await
                        .map_err(|_| {
                            format!("{}: no answer within {} s", c.name, timeout.as_secs())
                        })?
                        .map_err(|e| format!("{}: {e}", c.name))?;
                    let (drifted, orphans) = rules
                        .record_check(c.id, &check)
                        .await
                        .map_err(|e| format!("{}: {}", c.name, e.message))?;
                    let notes = check
                        .rules
                        .iter()
                        .filter(|(_, _, f)| f.status() == ERROR)
                        .map(|(_, name, f)| format!("{}: {name}: {}", c.name, f.errors.join("; ")))
                        .collect();
                    Ok((check.rules.len() as u64, drifted, orphans, notes))
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    let mut counts = RunCounts::default();
    for r in results {
        match r {
            Ok((checked, drifted, orphans, notes)) => {
                counts.checked += checked;
                counts.drifted += drifted + orphans;
                for n in notes {
                    counts.note(n);
                }
            }
            Err(e) => counts.error(e),
        }
    }
    Ok(counts)
}
