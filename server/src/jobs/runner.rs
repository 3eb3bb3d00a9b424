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

use super::JobsService;
use super::error::JobError;
use super::queue::{self, RunOutcome, Taken};
use crate::db::entities::job_run;

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
    let outcome = match result {
        Ok(Ok(counts)) => RunOutcome::Ok(counts),
        Ok(Err(error)) => failed(&jobs, run, error.to_string()),
        Err(e) if e.is_panic() => failed(&jobs, run, "the job panicked".into()),
        Err(e) => failed(&jobs, run, format!("the job was cancelled: {e}")),
    };
    let label = match &outcome {
        RunOutcome::Ok(_) => "ok",
        RunOutcome::Failed {
            retry_at: Some(_), ..
        } => "retried",
        RunOutcome::Failed { retry_at: None, .. } => "failed",
    };
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

fn failed(jobs: &JobsService, run: &job_run::Model, error: String) -> RunOutcome {
    let retry_at = (run.attempts < jobs.config.max_attempts).then(|| {
        let base = i64::try_from(jobs.config.retry_base.as_millis()).unwrap_or(30_000);
        queue::now_ms() + queue::backoff_ms(run.attempts, base, 10 * 60 * 1000)
    });
    RunOutcome::Failed { error, retry_at }
}

/// Schedules at least this far apart have their last tick caught up at start.
const CATCH_UP_FROM: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The last tick of an hourly-or-rarer schedule that fell due while no replica ran is queued at
/// start, so a daily job is not skipped for a day by a restart at the wrong time. Its key is the
/// tick's, so a tick that did run (here or on another replica) is not run again. Frequent
/// schedules just wait for their next tick; ticks older than the kept runs are left alone.
async fn catch_up(jobs: &JobsService, kind: JobKind, schedule: &cron::Schedule) {
    let now = chrono::Utc::now();
    let (Some(last), Some(next)) = (
        schedule.after(&now).next_back(),
        schedule.after(&now).next(),
    ) else {
        return;
    };
    if next - last < CATCH_UP_FROM || (now - last).num_milliseconds() > KEEP_RUNS_MS {
        return;
    }
    let Ok(tick) = u64::try_from(last.timestamp()) else {
        return;
    };
    match queue::enqueue_tick(&jobs.db, kind, tick).await {
        Ok(()) => jobs.wake.notify_one(),
        Err(e) => tracing::warn!(job = kind.as_str(), error = %e, "catching up the last tick"),
    }
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
