//! The overview page's numbers: today against yesterday, the daily trend per project, and the
//! top alert names and projects. Counts are notifications received.

use std::collections::BTreeMap;

use app::domain::alert_centre::compare;
use app::error::ApiError;
use app::model::{Overview, OverviewQuery, TrendSeries};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

use super::days;
use super::query::project_names;
use crate::db::entities::{alert_instance as i, alert_notification as n};

#[derive(Debug, FromQueryResult)]
struct Count {
    key: Option<String>,
    count: i64,
}

#[derive(Debug, FromQueryResult)]
struct Bucket {
    project_id: Option<i64>,
    bucket: i64,
    count: i64,
}

fn owner(tenant: Option<i64>) -> Cond {
    match tenant {
        Some(t) => Cond::all().add(Expr::col((n::Entity, n::Column::TenantId)).eq(t)),
        None => Cond::all(),
    }
}

fn between(from: i64, to: i64) -> Cond {
    Cond::all()
        .add(Expr::col((n::Entity, n::Column::ReceivedAt)).gte(from))
        .add(Expr::col((n::Entity, n::Column::ReceivedAt)).lt(to))
}

/// Notifications per status received in `[from, to)`.
async fn by_status(
    db: &DatabaseConnection,
    tenant: Option<i64>,
    from: i64,
    to: i64,
) -> Result<(u64, u64), ApiError> {
    let mut q = Query::select();
    q.from(n::Entity)
        .expr_as(Expr::col((n::Entity, n::Column::Status)), "key")
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            "count",
        )
        .cond_where(owner(tenant))
        .cond_where(between(from, to))
        .group_by_col((n::Entity, n::Column::Status));
    let rows = Count::find_by_statement(db.get_database_backend().build(&q))
        .all(db)
        .await?;
    let get = |s: &str| {
        rows.iter()
            .filter(|r| r.key.as_deref() == Some(s))
            .map(|r| u64::try_from(r.count).unwrap_or(0))
            .sum::<u64>()
    };
    Ok((get("firing"), get("resolved")))
}

pub async fn overview(
    db: &DatabaseConnection,
    tenant: Option<i64>,
    q: &OverviewQuery,
    now: i64,
) -> Result<Overview, ApiError> {
    let tz = days::zone(&q.time_zone)?;
    let (today, tomorrow) = days::day_of(&tz, now)?;
    let (yesterday, _) = days::day_of(&tz, today - 1)?;
    let (tf, tr) = by_status(db, tenant, today, tomorrow).await?;
    let (yf, yr) = by_status(db, tenant, yesterday, today).await?;
    let (list, end) = days::days(&tz, q.from, std::cmp::max(q.to, q.from))?;
    let start = list.first().map(|d| d.0).unwrap_or(q.from);

    // Every zone's offset is a multiple of 15 minutes, so quarter-hour buckets fall wholly in
    // one local day; grouping by them keeps the SQL free of time-zone functions.
    let bucket = "received_at - received_at % 900";
    let mut b = Query::select();
    b.from(n::Entity)
        .column(n::Column::ProjectId)
        .expr_as(Expr::cust(bucket), "bucket")
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            "count",
        )
        .cond_where(owner(tenant))
        .cond_where(between(start, end))
        .add_group_by([Expr::col(n::Column::ProjectId), Expr::cust(bucket)]);
    let buckets = Bucket::find_by_statement(db.get_database_backend().build(&b))
        .all(db)
        .await?;
    let mut per_project: BTreeMap<Option<i64>, Vec<u64>> = BTreeMap::new();
    for r in &buckets {
        if let Some(d) = days::index_of(&list, r.bucket) {
            per_project
                .entry(r.project_id)
                .or_insert_with(|| vec![0; list.len()])[d] += u64::try_from(r.count).unwrap_or(0);
        }
    }
    let names = project_names(db, per_project.keys().flatten().copied()).await?;
    let name_of = |p: &Option<i64>| match p {
        Some(id) => names.get(id).cloned().unwrap_or_else(|| format!("#{id}")),
        None => String::new(),
    };
    let mut trend: Vec<TrendSeries> = per_project
        .iter()
        .map(|(p, counts)| TrendSeries {
            name: name_of(p),
            counts: counts.clone(),
        })
        .collect();
    trend.sort_by(|a, b| a.name.cmp(&b.name));

    let top_alerts = top_alert_names(db, tenant, start, end).await?;
    let mut top_projects: Vec<(String, u64)> = per_project
        .iter()
        .map(|(p, counts)| (name_of(p), counts.iter().sum()))
        .collect();
    top_projects.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top_projects.truncate(10);
    Ok(Overview {
        total: compare(tf + tr, yf + yr),
        firing: compare(tf, yf),
        resolved: compare(tr, yr),
        days: list,
        trend,
        top_alerts,
        top_projects,
        time_zone: tz.name().to_string(),
    })
}

async fn top_alert_names(
    db: &DatabaseConnection,
    tenant: Option<i64>,
    from: i64,
    to: i64,
) -> Result<Vec<(String, u64)>, ApiError> {
    let mut q = Query::select();
    q.from(n::Entity)
        .inner_join(
            i::Entity,
            Expr::col((i::Entity, i::Column::Id)).equals((n::Entity, n::Column::InstanceId)),
        )
        .expr_as(Expr::col((i::Entity, i::Column::AlertName)), "key")
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            "count",
        )
        .cond_where(owner(tenant))
        .cond_where(between(from, to))
        .group_by_col((i::Entity, i::Column::AlertName))
        .order_by("count", Order::Desc)
        .order_by((i::Entity, i::Column::AlertName), Order::Asc)
        .limit(10);
    Ok(
        Count::find_by_statement(db.get_database_backend().build(&q))
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.key.unwrap_or_default(),
                    u64::try_from(r.count).unwrap_or(0),
                )
            })
            .collect(),
    )
}
