//! Rule state from the rules APIs of every cluster (inventory §5.4). A cluster that cannot be
//! asked marks its rules unknown with the reason; it never writes inactive.

use std::sync::Arc;
use std::time::Duration;

use app::model::RunCounts;
use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait};

use super::error::{ClusterFailure, JobError};
use crate::db::entities::{alert_rule, cluster};
use crate::db::now;
use crate::rules::AlertRulesService;
use crate::rules::store::{self, Stored};

/// Clusters asked at the same time.
const CONCURRENCY: usize = 4;

/// What one cluster gave: (rule id, state, error) for every rule whose row should change.
struct ClusterResult {
    name: String,
    checked: u64,
    changes: Vec<(i64, &'static str, Option<String>)>,
    error: Option<String>,
}

async fn one_cluster(
    rules: &AlertRulesService,
    cluster_id: i64,
    timeout: Duration,
) -> Result<ClusterResult, ClusterFailure> {
    let handle = rules
        .clusters
        .handle(cluster_id)
        .await
        .map_err(|e| ClusterFailure::new(&format!("cluster {cluster_id}"), e.message))?;
    let stored = store::load(
        &rules.db,
        Condition::all().add(alert_rule::Column::ClusterId.eq(cluster_id)),
    )
    .await
    .map_err(|e| ClusterFailure::new(&handle.name, e.message))?;
    if stored.is_empty() {
        return Ok(ClusterResult {
            name: handle.name,
            checked: 0,
            changes: Vec::new(),
            error: None,
        });
    }
    let (states, failed, error) =
        match tokio::time::timeout(timeout, rules.states(&handle, &stored)).await {
            Ok(r) => r,
            Err(_) => (
                Default::default(),
                vec![
                    app::model::AlertType::Monitor,
                    app::model::AlertType::Logging,
                ],
                format!("no answer within {} s", timeout.as_secs()),
            ),
        };
    let error = (!error.is_empty()).then(|| format!("{}: {error}", handle.name));
    let changes = stored
        .iter()
        .filter_map(|s: &Stored| {
            let (state, _) = AlertRulesService::state_of(&states, &failed, s);
            let why = failed
                .contains(&s.kind())
                .then(|| error.clone().unwrap_or_default());
            let state = state.as_str();
            (s.row.state != state || s.row.state_error != why).then_some((s.row.id, state, why))
        })
        .collect();
    Ok(ClusterResult {
        name: handle.name,
        checked: stored.len() as u64,
        changes,
        error,
    })
}

pub async fn run(rules: Arc<AlertRulesService>, timeout: Duration) -> Result<RunCounts, JobError> {
    let ids: Vec<i64> = cluster::Entity::find()
        .all(&rules.db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut counts = RunCounts::default();
    let results: Vec<_> = futures_util::stream::iter(ids)
        .map(|id| {
            let rules = rules.clone();
            async move { one_cluster(&rules, id, timeout).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let t = now();
    for r in results {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                counts.error(e.to_string());
                continue;
            }
        };
        counts.checked += r.checked;
        if let Some(e) = &r.error {
            counts.error(e.clone());
        }
        for (id, state, why) in r.changes {
            let update = alert_rule::ActiveModel {
                id: Set(id),
                state: Set(state.to_string()),
                state_error: Set(why),
                state_at: Set(t),
                ..Default::default()
            };
            match alert_rule::Entity::update(update).exec(&rules.db).await {
                Ok(_) => counts.changed += 1,
                // The rule was deleted meanwhile.
                Err(sea_orm::DbErr::RecordNotUpdated) => {}
                Err(e) => counts.error(format!("{}: rule {id}: {e}", r.name)),
            }
        }
    }
    Ok(counts)
}
