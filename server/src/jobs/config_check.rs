//! The config check over every cluster: each cluster's rules compared with what it holds, the
//! result stored per rule, the orphans kept up to date.

use std::sync::Arc;
use std::time::Duration;

use app::model::RunCounts;
use futures_util::StreamExt;
use sea_orm::{EntityTrait, QueryOrder};

use super::error::{ClusterFailure, JobError};
use crate::db::entities::cluster;
use crate::rules::AlertRulesService;
use crate::rules::drift::ERROR;

const CONCURRENCY: usize = 4;

/// What one cluster's check found.
struct Checked {
    rules: u64,
    /// Drifted rules plus orphans.
    drifted: u64,
    notes: Vec<String>,
}

async fn one_cluster(
    rules: &AlertRulesService,
    c: &cluster::Model,
    timeout: Duration,
) -> Result<Checked, ClusterFailure> {
    let failed = |reason: &dyn std::fmt::Display| ClusterFailure::new(&c.name, reason);
    let handle = rules
        .clusters
        .handle(c.id)
        .await
        .map_err(|e| failed(&e.message))?;
    let check = tokio::time::timeout(timeout, rules.check_cluster(&handle))
        .await
        .map_err(|_| failed(&format_args!("no answer within {} s", timeout.as_secs())))?
        .map_err(|e| failed(&e))?;
    let (drifted, orphans) = rules
        .record_check(c.id, &check)
        .await
        .map_err(|e| failed(&e.message))?;
    Ok(Checked {
        rules: check.rules.len() as u64,
        drifted: drifted + orphans,
        notes: check
            .rules
            .iter()
            .filter(|(_, _, f)| f.status() == ERROR)
            .map(|(_, name, f)| format!("{}: {name}: {}", c.name, f.errors.join("; ")))
            .collect(),
    })
}

pub async fn run(rules: Arc<AlertRulesService>, timeout: Duration) -> Result<RunCounts, JobError> {
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(&rules.db)
        .await?;
    let results: Vec<Result<Checked, ClusterFailure>> = futures_util::stream::iter(clusters)
        .map(|c| {
            let rules = rules.clone();
            async move { one_cluster(&rules, &c, timeout).await }
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
