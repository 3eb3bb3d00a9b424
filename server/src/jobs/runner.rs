//! The apalis side: one cron worker per scheduled job, whose ticks become queue rows, and one
//! worker over the queue (a custom apalis backend that claims rows from `job_runs`). A stop
//! signal lets running jobs finish within the grace period and takes no new ones; whatever is
//! still running then is handed back to the queue for another replica or the next start.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BackendBuilder, BoxDynError, Data, Monitor, Task, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use app::model::JobKind;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::JobError;
use super::queue::{self, RunOutcome, Taken};
use super::{JobsConfig, JobsService};
use crate::db::entities::job_run;
use app::model::RunCounts;

/// How often an idle replica looks for due rows (also how soon it notices a passed lease).
const POLL: Duration = Duration::from_millis(500);
/// Finished runs are kept this long.
const KEEP_RUNS_MS: i64 = 30 * 86_400 * 1000;

/// A row this replica took, with its slot of the concurrency limit.
#[derive(Debug)]
pub struct Claimed {
    pub run: job_run::Model,
    _slot: OwnedSemaphorePermit,
}

async fn enqueue_tick(
    tick: Tick,
    job: Data<(JobKind, Arc<JobsService>)>,
) -> Result<(), BoxDynError> {
    let (kind, jobs) = &*job;
    queue::enqueue_tick(&jobs.db, *kind, tick.get_timestamp()).await?;
    jobs.wake.notify_one();
    Ok(())
}

/// Claims the next row, waiting while nothing is due. Never yields "nothing": an empty answer
/// would end the backend's stream.
async fn next_claim(jobs: &JobsService, slots: &Arc<Semaphore>) -> Result<Claimed, BoxDynError> {
    loop {
        let slot = slots.clone().acquire_owned().await?;
        let lease = i64::try_from(jobs.config.lease.as_millis()).unwrap_or(60_000);
        match queue::claim(&jobs.db, &jobs.owner, lease, jobs.config.max_attempts).await {
            Ok(Some(Taken::Run(run))) => return Ok(Claimed { run, _slot: slot }),
            Ok(Some(Taken::GaveUp(run))) => {
                tracing::error!(job = %run.job, run = run.id, "a job run was given up after its replicas stopped");
                jobs.metrics.job_finished(&run.job, "failed");
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "looking for due jobs"),
        }
        drop(slot);
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = jobs.wake.notified() => {}
        }
    }
}

/// Runs a claimed row: the body in its own task (a panic is a failure, not a lost run), the
/// lease renewed meanwhile, then the outcome recorded.
async fn run_claimed(claim: Claimed, jobs: Data<Arc<JobsService>>) -> Result<(), BoxDynError> {
    let jobs: Arc<JobsService> = (*jobs).clone();
    let run = &claim.run;
    let Some(kind) = JobKind::parse(&run.job) else {
        let outcome = RunOutcome::Failed {
            error: format!("unknown job {:?}", run.job),
            retry_at: None,
        };
        queue::finish(&jobs.db, run.id, &jobs.owner, &outcome).await?;
        return Ok(());
    };
    tracing::info!(
        job = kind.as_str(),
        run = run.id,
        attempt = run.attempts,
        "job started"
    );
    let lease = i64::try_from(jobs.config.lease.as_millis()).unwrap_or(60_000);
    let body = {
        let jobs = jobs.clone();
        tokio::spawn(async move { jobs.execute(kind).await })
    };
    let renew = {
        let jobs = jobs.clone();
        let id = run.id;
        async move {
            let every = (jobs.config.lease / 3).max(Duration::from_millis(200));
            loop {
                tokio::time::sleep(every).await;
                match queue::renew(&jobs.db, id, &jobs.owner, lease).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(run = id, "lost the lease of a running job"),
                    Err(e) => tracing::warn!(run = id, error = %e, "renewing a job lease"),
                }
            }
        }
    };
    let result = tokio::select! {
        r = body => r,
        _ = renew => unreachable!("the renewal loop does not end"),
    };
    let outcome = outcome_of(result, &jobs.config, run.attempts, queue::now_ms());
    let label = label(&outcome);
    if let RunOutcome::Failed { error, .. } = &outcome {
        tracing::warn!(job = kind.as_str(), run = run.id, attempt = run.attempts, %error, "job failed");
    } else {
        tracing::info!(job = kind.as_str(), run = run.id, "job finished");
    }
    jobs.metrics.job_finished(kind.as_str(), label);
    if !queue::finish(&jobs.db, run.id, &jobs.owner, &outcome).await? {
        tracing::warn!(
            run = run.id,
            "another replica took this run over; its result is theirs"
        );
    }
    if let Err(e) = queue::prune(&jobs.db, KEEP_RUNS_MS).await {
        tracing::warn!(error = %e, "pruning old job runs");
    }
    Ok(())
}

/// Retries back off up to this.
const RETRY_CAP_MS: i64 = 10 * 60 * 1000;

/// What a run's body came to, as the queue records it: its counts, or a failure that is retried
/// (with backoff) until the attempts are used up. A panic or a cancelled task is a failure too.
fn outcome_of(
    result: Result<Result<RunCounts, JobError>, tokio::task::JoinError>,
    config: &JobsConfig,
    attempts: i32,
    now_ms: i64,
) -> RunOutcome {
    let error = match result {
        Ok(Ok(counts)) => return RunOutcome::Ok(counts),
        Ok(Err(error)) => error.to_string(),
        Err(e) if e.is_panic() => "the job panicked".into(),
        Err(e) => format!("the job was cancelled: {e}"),
    };
    let retry_at = (attempts < config.max_attempts).then(|| {
        let base = i64::try_from(config.retry_base.as_millis()).unwrap_or(30_000);
        now_ms + queue::backoff_ms(attempts, base, RETRY_CAP_MS)
    });
    RunOutcome::Failed { error, retry_at }
}

/// The outcome's label in the `/metrics` counter.
fn label(outcome: &RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Ok(_) => "ok",
        RunOutcome::Failed {
            retry_at: Some(_), ..
        } => "retried",
        RunOutcome::Failed { retry_at: None, .. } => "failed",
    }
}

/// Schedules at least this far apart have their last tick caught up at start.
const CATCH_UP_FROM: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The last tick of an hourly-or-rarer schedule that fell due while no replica ran is queued at
/// start, so a daily job is not skipped for a day by a restart at the wrong time. Its key is the
/// tick's, so a tick that did run (here or on another replica) is not run again. Frequent
/// schedules just wait for their next tick; ticks older than the kept runs are left alone.
async fn catch_up(jobs: &JobsService, kind: JobKind, schedule: &cron::Schedule) {
    let Some(tick) = catch_up_tick(schedule, chrono::Utc::now()) else {
        return;
    };
    match queue::enqueue_tick(&jobs.db, kind, tick).await {
        Ok(()) => jobs.wake.notify_one(),
        Err(e) => tracing::warn!(job = kind.as_str(), error = %e, "catching up the last tick"),
    }
}

/// The tick to catch up at `now`, if any (see `catch_up`).
fn catch_up_tick(schedule: &cron::Schedule, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let last = schedule.after(&now).next_back()?;
    let next = schedule.after(&now).next()?;
    if next - last < CATCH_UP_FROM || (now - last).num_milliseconds() > KEEP_RUNS_MS {
        return None;
    }
    u64::try_from(last.timestamp()).ok()
}

/// Runs the scheduler and the queue worker until `stop` resolves, then shuts them down.
pub async fn run(
    jobs: Arc<JobsService>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), JobError> {
    let schedules = jobs.config.parsed()?;
    for (kind, schedule) in &schedules {
        catch_up(&jobs, *kind, schedule).await;
    }
    let slots = Arc::new(Semaphore::new(jobs.config.concurrency.max(1)));
    let mut monitor = Monitor::new().shutdown_timeout(jobs.config.shutdown_grace);
    for (kind, schedule) in schedules {
        let jobs = jobs.clone();
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(format!("schedule-{}", kind.as_str()))
                .backend(CronScheduler::new(schedule.clone()))
                .data((kind, jobs.clone()))
                .build(enqueue_tick)
        });
    }
    let queue_jobs = jobs.clone();
    monitor = monitor.register(move |_| {
        let fetch_jobs = queue_jobs.clone();
        let slots = slots.clone();
        let backend = BackendBuilder::new()
            .database(())
            .fetcher(move |_, _, _| {
                let jobs = fetch_jobs.clone();
                let slots = slots.clone();
                futures_util::stream::unfold((), move |()| {
                    let jobs = jobs.clone();
                    let slots = slots.clone();
                    async move {
                        let item = next_claim(&jobs, &slots).await.map(|c| Some(Task::new(c)));
                        Some((item, ()))
                    }
                })
                .boxed()
            })
            .sink(|_, _| {
                Box::pin(futures_util::sink::unfold(
                    (),
                    |(), _task: Task<Claimed>| async {
                        Err::<(), BoxDynError>("runs are queued in job_runs, not pushed".into())
                    },
                ))
            })
            .build()
            .expect("the queue backend has a fetcher and a sink");
        WorkerBuilder::new("job-queue")
            .backend(backend)
            .data(queue_jobs.clone())
            .build(run_claimed)
    });
    let result = monitor
        .run_with_signal(stop.map(Ok))
        .await
        .map_err(|e| JobError::Workers(e.to_string()));
    match queue::release(&jobs.db, &jobs.owner).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(runs = n, "handed unfinished job runs back to the queue"),
        Err(e) => tracing::error!(error = %e, "handing job runs back"),
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn config(max_attempts: i32) -> JobsConfig {
        JobsConfig {
            schedules: Vec::new(),
            enabled: true,
            lease: Duration::from_secs(60),
            max_attempts,
            retry_base: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            cluster_timeout: Duration::from_secs(10),
            concurrency: 2,
            data_dir: std::path::PathBuf::new(),
            retention_days: 30,
        }
    }

    fn not_ready() -> Result<Result<RunCounts, JobError>, tokio::task::JoinError> {
        Ok(Err(JobError::NotReady("no channel")))
    }

    #[tokio::test]
    async fn failures_back_off_until_the_attempts_are_used_up() {
        const NOW: i64 = 1_000_000;
        let cases = [
            // (attempts so far, max attempts, retry at)
            (1, 3, Some(NOW + 30_000)),
            (2, 3, Some(NOW + 60_000)),
            (3, 3, None),
            (5, 3, None),
            // The backoff is capped at ten minutes.
            (10, 30, Some(NOW + RETRY_CAP_MS)),
        ];
        for (attempts, max, want) in cases {
            match outcome_of(not_ready(), &config(max), attempts, NOW) {
                RunOutcome::Failed { error, retry_at } => {
                    assert_eq!(retry_at, want, "attempt {attempts} of {max}");
                    assert_eq!(error, "no channel");
                }
                RunOutcome::Ok(_) => panic!("a failed body is a failed run"),
            }
        }
        let ok = outcome_of(Ok(Ok(RunCounts::default())), &config(3), 1, NOW);
        assert!(matches!(ok, RunOutcome::Ok(_)));
        assert_eq!(label(&ok), "ok");
        assert_eq!(
            label(&outcome_of(not_ready(), &config(3), 1, NOW)),
            "retried"
        );
        assert_eq!(
            label(&outcome_of(not_ready(), &config(3), 3, NOW)),
            "failed"
        );
    }

    #[tokio::test]
    async fn a_panic_or_a_cancelled_body_is_a_failure_not_a_lost_run() {
        let panicked = tokio::spawn(async { panic!("boom") })
            .await
            .map(|()| Ok(RunCounts::default()));
        let pending = tokio::spawn(std::future::pending::<Result<RunCounts, JobError>>());
        pending.abort();
        let cancelled = pending.await;
        for (result, want) in [
            (panicked, "the job panicked"),
            (cancelled, "the job was cancelled"),
        ] {
            match outcome_of(result, &config(3), 1, 0) {
                RunOutcome::Failed { error, retry_at } => {
                    assert!(error.starts_with(want), "{error}");
                    assert!(retry_at.is_some());
                }
                RunOutcome::Ok(_) => panic!("{want}: not a success"),
            }
        }
    }

    #[test]
    fn only_a_rare_schedules_recent_missed_tick_is_caught_up() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.to_utc())
                .expect("time")
        };
        let now = at("2026-12-02T10:20:00Z");
        let cases = [
            // A daily job that should have run at 03:00 today.
            ("0 0 3 * * *", Some(at("2026-12-02T03:00:00Z"))),
            // Hourly is rare enough.
            ("0 0 * * * *", Some(at("2026-12-02T10:00:00Z"))),
            // Every five minutes just waits for its next tick.
            ("0 */5 * * * *", None),
            // A yearly tick older than the kept runs is left alone.
            ("0 0 0 1 1 *", None),
        ];
        for (cron, want) in cases {
            let schedule = cron::Schedule::from_str(cron).expect("cron");
            let want = want.map(|t| u64::try_from(t.timestamp()).expect("after 1970"));
            assert_eq!(catch_up_tick(&schedule, now), want, "{cron}");
        }
    }
}
