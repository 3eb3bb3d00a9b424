//! The history queries: notifications joined with their alert instance, filtered in SQL that
//! all three databases run the same way (labels are rows, text search is `LOWER(..) LIKE`).

use std::collections::{BTreeMap, HashMap};

use app::domain::alert_centre::{SearchText, paging};
use app::error::ApiError;
use app::model::{Episode, HistoryRow};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter};

use crate::channels::history::{LABEL_VALUE_MAX, cut};
use crate::db::entities::{
    alert_instance as i, alert_label as l, alert_notification as n, cluster, environment, project,
};

#[derive(Debug, FromQueryResult)]
struct Joined {
    id: i64,
    instance_id: i64,
    fingerprint: String,
    cluster_id: i64,
    namespace: String,
    alert_name: String,
    tenant_id: Option<i64>,
    project_id: Option<i64>,
    environment_id: Option<i64>,
    status: String,
    starts_at: i64,
    ends_at: i64,
    received_at: i64,
    message: String,
    value: String,
    labels: String,
}

/// Notifications with their instance's columns, newest first.
pub fn joined() -> SelectStatement {
    let mut q = Query::select();
    q.from(n::Entity)
        .inner_join(
            i::Entity,
            Expr::col((i::Entity, i::Column::Id)).equals((n::Entity, n::Column::InstanceId)),
        )
        .columns([
            (n::Entity, n::Column::Id),
            (n::Entity, n::Column::InstanceId),
            (n::Entity, n::Column::TenantId),
            (n::Entity, n::Column::ProjectId),
            (n::Entity, n::Column::Status),
            (n::Entity, n::Column::StartsAt),
            (n::Entity, n::Column::EndsAt),
            (n::Entity, n::Column::ReceivedAt),
            (n::Entity, n::Column::Message),
            (n::Entity, n::Column::Value),
        ])
        .columns([
            (i::Entity, i::Column::Fingerprint),
            (i::Entity, i::Column::ClusterId),
            (i::Entity, i::Column::Namespace),
            (i::Entity, i::Column::AlertName),
            (i::Entity, i::Column::EnvironmentId),
            (i::Entity, i::Column::Labels),
        ])
        .order_by((n::Entity, n::Column::ReceivedAt), Order::Desc)
        .order_by((n::Entity, n::Column::Id), Order::Desc);
    q
}

/// Label pairs and message words of a search text.
pub fn text_filter(text: &SearchText) -> Cond {
    let mut cond = Cond::all();
    for (k, v) in &text.labels {
        let mut sub = Query::select();
        sub.column(l::Column::InstanceId)
            .from(l::Entity)
            .and_where(Expr::col(l::Column::Name).eq(k.as_str()))
            .and_where(Expr::col(l::Column::Value).eq(cut(v, LABEL_VALUE_MAX)));
        cond = cond.add(Expr::col((n::Entity, n::Column::InstanceId)).in_subquery(sub));
    }
    for w in &text.words {
        cond = cond.add(
            Expr::expr(Func::lower(Expr::col((n::Entity, n::Column::Message)))).like(contains(w)),
        );
    }
    cond
}

/// A LIKE pattern that matches `needle` anywhere, its own `%`, `_` and backslash taken literally.
pub fn contains(needle: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Received within `[from, to)`; 0 leaves a bound open. Both bounds apply on their own (KubeGems
/// applied the upper one only with the lower, §12.2).
pub fn received_within(from: i64, to: i64) -> Cond {
    let col = || Expr::col((n::Entity, n::Column::ReceivedAt));
    let mut c = Cond::all();
    if from > 0 {
        c = c.add(col().gte(from));
    }
    if to > 0 {
        c = c.add(col().lt(to));
    }
    c
}

/// Runs a `joined()` query with a page window, returning the rows and whether more follow.
pub async fn page(
    db: &DatabaseConnection,
    mut q: SelectStatement,
    page: u64,
    size: u64,
) -> Result<(Vec<HistoryRow>, bool), ApiError> {
    let (page, size) = paging(page, size);
    q.limit(size + 1).offset((page - 1) * size);
    let stmt = db.get_database_backend().build(&q);
    let mut rows = Joined::find_by_statement(stmt).all(db).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    Ok((rows_with_names(db, rows).await?, more))
}

/// Fills in cluster, project and environment names.
async fn rows_with_names(
    db: &DatabaseConnection,
    rows: Vec<Joined>,
) -> Result<Vec<HistoryRow>, ApiError> {
    let clusters: HashMap<i64, String> = cluster::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let projects = project_names(db, rows.iter().filter_map(|r| r.project_id)).await?;
    let envs: HashMap<i64, String> = environment::Entity::find()
        .filter(environment::Column::Id.is_in(rows.iter().filter_map(|r| r.environment_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            id: r.id,
            instance_id: r.instance_id,
            fingerprint: r.fingerprint,
            cluster: clusters.get(&r.cluster_id).cloned().unwrap_or_default(),
            cluster_id: r.cluster_id,
            namespace: r.namespace,
            alert_name: r.alert_name,
            tenant_id: r.tenant_id,
            project: r
                .project_id
                .and_then(|p| projects.get(&p).cloned())
                .unwrap_or_default(),
            environment: r
                .environment_id
                .and_then(|e| envs.get(&e).cloned())
                .unwrap_or_default(),
            environment_id: r.environment_id,
            status: r.status,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            received_at: r.received_at,
            message: r.message,
            value: r.value,
            labels: labels(&r.labels),
        })
        .collect())
}

pub async fn project_names(
    db: &DatabaseConnection,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>, ApiError> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(project::Entity::find()
        .filter(project::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

fn labels(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

#[derive(Debug, FromQueryResult)]
struct EpisodeRow {
    instance_id: i64,
    starts_at: i64,
    ends_at: i64,
    first_received: i64,
    last_received: i64,
    status: String,
    count: i64,
    /// The episode's newest notification, whose message the episode shows.
    latest_id: i64,
}

/// Episodes of the instances `instances` selects, newest first: grouped by (instance, start),
/// resolved winning over firing.
pub async fn episodes(
    db: &DatabaseConnection,
    instances: Cond,
    status: &str,
    within: Cond,
    page: u64,
) -> Result<(Vec<Episode>, bool), ApiError> {
    let (page, size) = paging(page, 50);
    let col = |c: n::Column| Expr::col((n::Entity, c));
    let mut q = Query::select();
    q.from(n::Entity)
        .inner_join(
            i::Entity,
            Expr::col((i::Entity, i::Column::Id)).equals((n::Entity, n::Column::InstanceId)),
        )
        .column((n::Entity, n::Column::InstanceId))
        .column((n::Entity, n::Column::StartsAt))
        .expr_as(Func::max(col(n::Column::EndsAt)), "ends_at")
        .expr_as(Func::min(col(n::Column::ReceivedAt)), "first_received")
        .expr_as(Func::max(col(n::Column::ReceivedAt)), "last_received")
        .expr_as(Func::max(col(n::Column::Status)), "status")
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            "count",
        )
        .expr_as(Func::max(col(n::Column::Id)), "latest_id")
        .cond_where(instances)
        .cond_where(within)
        .group_by_col((n::Entity, n::Column::InstanceId))
        .group_by_col((n::Entity, n::Column::StartsAt))
        .order_by("last_received", Order::Desc)
        .order_by((n::Entity, n::Column::InstanceId), Order::Desc)
        .limit(size + 1)
        .offset((page - 1) * size);
    if !status.is_empty() {
        q.and_having(Func::max(col(n::Column::Status)).eq(status));
    }
    let stmt = db.get_database_backend().build(&q);
    let mut rows = EpisodeRow::find_by_statement(stmt).all(db).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let infos: HashMap<i64, i::Model> = i::Entity::find()
        .filter(i::Column::Id.is_in(rows.iter().map(|r| r.instance_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut messages: HashMap<i64, String> = n::Entity::find()
        .filter(n::Column::Id.is_in(rows.iter().map(|r| r.latest_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.message))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let info = infos.get(&r.instance_id);
        out.push(Episode {
            instance_id: r.instance_id,
            fingerprint: info.map(|i| i.fingerprint.clone()).unwrap_or_default(),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            first_received: r.first_received,
            last_received: r.last_received,
            status: r.status,
            count: u64::try_from(r.count).unwrap_or(0),
            message: messages.remove(&r.latest_id).unwrap_or_default(),
            labels: info.map(|i| labels(&i.labels)).unwrap_or_default(),
        });
    }
    Ok((out, more))
}
