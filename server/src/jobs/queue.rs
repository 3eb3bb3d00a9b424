//! The durable queue in `job_runs`. A row is a tick of a schedule (keyed by its time, so every
//! replica may enqueue it and one row exists) or a "run now" request. A replica takes a row with
//! a conditional update and holds it through a lease it renews; a row whose lease has passed is
//! taken by the next replica that looks, so a replica dying mid-run does not lose the run.

use app::model::{JobKind, RunCounts};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::db::entities::job_run::{self, Column as Col, Entity as Runs};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const OK: &str = "ok";
pub const FAILED: &str = "failed";

pub const SCHEDULE: &str = "schedule";
pub const MANUAL: &str = "manual";

pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
}

/// How long a failed attempt waits before the next: `base`, doubled per attempt, at most `cap`.
pub fn backoff_ms(attempt: i32, base_ms: i64, cap_ms: i64) -> i64 {
    let shift = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    std::cmp::min(base_ms.saturating_mul(1 << shift), cap_ms)
}

/// The key of a scheduled tick: its time in Unix seconds, the same on every replica.
pub fn tick_key(tick_secs: u64) -> String {
    tick_secs.to_string()
}

fn row(job: JobKind, key: String, origin: &str, by: Option<i64>, t: i64) -> job_run::ActiveModel {
    job_run::ActiveModel {
        job: Set(job.as_str().to_string()),
        tick_key: Set(key),
        origin: Set(origin.to_string()),
        requested_by: Set(by),
        status: Set(QUEUED.to_string()),
        attempts: Set(0),
        not_before: Set(t),
        lease_owner: Set(String::new()),
        lease_until: Set(0),
        created_at: Set(t),
        ..Default::default()
    }
}

/// Enqueues a scheduled tick; a tick another replica enqueued already is left as it is.
pub async fn enqueue_tick<C: ConnectionTrait>(
    db: &C,
    job: JobKind,
    tick_secs: u64,
) -> Result<(), DbErr> {
    Runs::insert(row(job, tick_key(tick_secs), SCHEDULE, None, now_ms()))
        .on_conflict(
            OnConflict::columns([Col::Job, Col::TickKey])
                .do_nothing_on([Col::Id])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Queued or running rows of a job (a second "run now" is refused while one waits).
pub async fn pending<C: ConnectionTrait>(
    db: &C,
    job: JobKind,
) -> Result<Option<job_run::Model>, DbErr> {
    Runs::find()
        .filter(Col::Job.eq(job.as_str()))
        .filter(Col::Status.is_in([QUEUED, RUNNING]))
        .order_by_desc(Col::Id)
        .one(db)
        .await
}

pub async fn enqueue_manual<C: ConnectionTrait>(
    db: &C,
    job: JobKind,
    by: i64,
) -> Result<job_run::Model, DbErr> {
    let t = now_ms();
    let mut nonce = [0u8; 6];
    let _ = getrandom::fill(&mut nonce);
    let key = format!(
        "manual-{t}-{}",
        nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let res = Runs::insert(row(job, key, MANUAL, Some(by), t))
        .exec(db)
        .await?;
    Runs::find_by_id(res.last_insert_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the queued run".into()))
}

/// Rows another replica may take now: queued and due, or running with a lease that has passed.
fn takeable(t: i64) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(Col::Status.eq(QUEUED))
                .add(Col::NotBefore.lte(t)),
        )
        .add(
            Condition::all()
                .add(Col::Status.eq(RUNNING))
                .add(Col::LeaseUntil.lt(t)),
        )
}

/// What taking a row gave.
#[derive(Debug)]
pub enum Taken {
    /// This replica runs it now.
    Run(job_run::Model),
    /// Its lease passed too many times (a run that kills its replica); marked failed.
    GaveUp(job_run::Model),
}

/// Takes the oldest takeable row of a job that is not already running elsewhere, if any.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    lease_ms: i64,
    max_attempts: i32,
) -> Result<Option<Taken>, DbErr> {
    let t = now_ms();
    let busy: Vec<String> = Runs::find()
        .select_only()
        .column(Col::Job)
        .filter(Col::Status.eq(RUNNING))
        .filter(Col::LeaseUntil.gte(t))
        .into_tuple()
        .all(db)
        .await?;
    let candidates = Runs::find()
        .filter(takeable(t))
        .order_by_asc(Col::NotBefore)
        .order_by_asc(Col::Id)
        .limit(8)
        .all(db)
        .await?;
    for c in candidates {
        if busy.contains(&c.job) {
            continue;
        }
        // A row whose lease passed with every attempt spent has killed its replicas often
        // enough: it is failed rather than taken again.
        let give_up = c.status == RUNNING && c.attempts >= max_attempts;
        let mut update = Runs::update_many()
            .filter(Col::Id.eq(c.id))
            .filter(takeable(t))
            .col_expr(Col::LeaseOwner, Expr::value(owner))
            .col_expr(Col::LeaseUntil, Expr::value(t + lease_ms));
        update = if give_up {
            update
                .col_expr(Col::Status, Expr::value(FAILED))
                .col_expr(Col::FinishedAt, Expr::value(t))
                .col_expr(
                    Col::Error,
                    Expr::value(format!(
                        "the replica running it stopped {} times; given up",
                        c.attempts
                    )),
                )
        } else {
            update
                .col_expr(Col::Status, Expr::value(RUNNING))
                .col_expr(Col::Attempts, Expr::col(Col::Attempts).add(1))
                .col_expr(Col::StartedAt, Expr::value(t))
        };
        if update.exec(db).await?.rows_affected == 1 {
            let Some(row) = Runs::find_by_id(c.id).one(db).await? else {
                continue;
            };
            return Ok(Some(if give_up {
                Taken::GaveUp(row)
            } else {
                Taken::Run(row)
            }));
        }
    }
    Ok(None)
}

/// Renews the lease; `false` when this replica no longer holds the row.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: i64,
    owner: &str,
    lease_ms: i64,
) -> Result<bool, DbErr> {
    let res = Runs::update_many()
        .filter(Col::Id.eq(id))
        .filter(Col::Status.eq(RUNNING))
        .filter(Col::LeaseOwner.eq(owner))
        .col_expr(Col::LeaseUntil, Expr::value(now_ms() + lease_ms))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// How a run ended.
pub enum RunOutcome {
    Ok(RunCounts),
    /// Failed; queued again after `retry_at` (ms) when attempts are left.
    Failed {
        error: String,
        retry_at: Option<i64>,
    },
}

/// Records the end of a run this replica holds. Returns `false` when the row was taken away.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i64,
    owner: &str,
    outcome: &RunOutcome,
) -> Result<bool, DbErr> {
    let t = now_ms();
    let mut update = Runs::update_many()
        .filter(Col::Id.eq(id))
        .filter(Col::Status.eq(RUNNING))
        .filter(Col::LeaseOwner.eq(owner))
        .col_expr(Col::LeaseOwner, Expr::value(""))
        .col_expr(Col::LeaseUntil, Expr::value(0i64));
    update = match outcome {
        RunOutcome::Ok(counts) => update
            .col_expr(Col::Status, Expr::value(OK))
            .col_expr(Col::FinishedAt, Expr::value(t))
            .col_expr(
                Col::Counts,
                Expr::value(serde_json::to_string(counts).unwrap_or_default()),
            )
            .col_expr(Col::Error, Expr::value(Option::<String>::None)),
        RunOutcome::Failed {
            error,
            retry_at: Some(at),
        } => update
            .col_expr(Col::Status, Expr::value(QUEUED))
            .col_expr(Col::NotBefore, Expr::value(*at))
            .col_expr(Col::Error, Expr::value(error.clone())),
        RunOutcome::Failed {
            error,
            retry_at: None,
        } => update
            .col_expr(Col::Status, Expr::value(FAILED))
            .col_expr(Col::FinishedAt, Expr::value(t))
            .col_expr(Col::Error, Expr::value(error.clone())),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Hands this replica's unfinished rows back at shutdown, so another replica (or this one after
/// a restart) takes them without waiting for the lease.
pub async fn release<C: ConnectionTrait>(db: &C, owner: &str) -> Result<u64, DbErr> {
    Ok(Runs::update_many()
        .filter(Col::Status.eq(RUNNING))
        .filter(Col::LeaseOwner.eq(owner))
        .col_expr(Col::LeaseUntil, Expr::value(0i64))
        .exec(db)
        .await?
        .rows_affected)
}

/// Finished rows older than `keep_ms` are dropped; the jobs page shows recent runs.
pub async fn prune<C: ConnectionTrait>(db: &C, keep_ms: i64) -> Result<u64, DbErr> {
    Ok(Runs::delete_many()
        .filter(Col::Status.is_in([OK, FAILED]))
        .filter(Col::CreatedAt.lt(now_ms() - keep_ms))
        .exec(db)
        .await?
        .rows_affected)
}

/// The latest runs of a job, newest first.
pub async fn recent<C: ConnectionTrait>(
    db: &C,
    job: JobKind,
    limit: u64,
) -> Result<Vec<job_run::Model>, DbErr> {
    Runs::find()
        .filter(Col::Job.eq(job.as_str()))
        .order_by_desc(Col::Id)
        .limit(limit)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let cases = [
            (1, 30_000),
            (2, 60_000),
            (3, 120_000),
            (5, 480_000),
            (6, 600_000),
            (40, 600_000),
            (0, 30_000),
        ];
        for (attempt, want) in cases {
            assert_eq!(
                backoff_ms(attempt, 30_000, 600_000),
                want,
                "attempt {attempt}"
            );
        }
    }
}
