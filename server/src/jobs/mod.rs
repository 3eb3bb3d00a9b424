//! Scheduled jobs (inventory §5.4–§5.6): alert rule state sync, the config check (drift) with
//! repair, the system alert rules, and history retention. Schedules tick on apalis-cron; each tick
//! becomes a row of the durable queue (`queue`), which apalis workers take and run (`runner`).

pub mod config_check;
pub mod error;
pub mod queue;
pub mod runner;
pub mod state_sync;
pub mod system_rules;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use app::api::context::Caller;
use app::api::jobs::JobsPort;
use app::error::{ApiError, Code};
use app::model::{
    ClusterDrift, DriftRule, JobInfo, JobKind, JobRun, Orphan, RepairOutcome, RepairTarget,
    RunCounts,
};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::alert_rules::AlertRulesService;
use crate::alert_rules::drift::OK as CHECK_OK;
use crate::auth::authz::require_system_admin;
use crate::db::entities::{alert_rule, cluster, job_run, rule_orphan};
use crate::db::rfc3339;
use crate::telemetry::Metrics;
use error::JobError;

/// The jobs' settings, from the configuration.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Six-field cron per job; an empty one switches the job off.
    pub schedules: Vec<(JobKind, String)>,
    /// Whether this process runs jobs at all (every replica may; ticks run once).
    pub enabled: bool,
    pub lease: Duration,
    pub max_attempts: i32,
    pub retry_base: Duration,
    pub shutdown_grace: Duration,
    pub cluster_timeout: Duration,
    pub concurrency: usize,
    pub data_dir: PathBuf,
    pub retention_days: u32,
}

impl JobsConfig {
    pub fn from_config(c: &crate::config::Config) -> Self {
        JobsConfig {
            schedules: vec![
                (JobKind::AlertStateSync, c.job_state_sync.clone()),
                (JobKind::AlertConfigCheck, c.job_config_check.clone()),
                (JobKind::SystemAlertRules, c.job_system_rules.clone()),
                (JobKind::AlertHistoryArchive, c.job_history_archive.clone()),
            ],
            enabled: c.jobs_enabled,
            lease: Duration::from_secs(c.job_lease_secs.max(1)),
            max_attempts: i32::try_from(c.job_attempts.max(1)).unwrap_or(i32::MAX),
            retry_base: Duration::from_secs(c.job_retry_base_secs.max(1)),
            shutdown_grace: Duration::from_secs(c.job_shutdown_secs),
            cluster_timeout: Duration::from_secs(c.job_cluster_timeout_secs.max(1)),
            concurrency: 2,
            data_dir: c.data_dir.clone(),
            retention_days: c.history_retention_days,
        }
    }

    pub fn schedule(&self, job: JobKind) -> &str {
        self.schedules
            .iter()
            .find(|(k, _)| *k == job)
            .map(|(_, s)| s.trim())
            .unwrap_or("")
    }

    /// Every schedule parsed; a bad one stops the start with its name in the message.
    pub fn parsed(&self) -> Result<Vec<(JobKind, cron::Schedule)>, JobError> {
        self.schedules
            .iter()
            .filter(|(_, s)| !s.trim().is_empty())
            .map(|(k, s)| {
                cron::Schedule::from_str(s.trim())
                    .map(|p| (*k, p))
                    .map_err(|source| JobError::Schedule {
                        job: k.as_str(),
                        schedule: s.to_string(),
                        source,
                    })
            })
            .collect()
    }
}

pub struct JobsService {
    pub db: DatabaseConnection,
    pub rules: Arc<AlertRulesService>,
    pub config: JobsConfig,
    pub metrics: Arc<Metrics>,
    /// This replica's name in leases: host, process and a random part.
    pub owner: String,
    /// Woken when a run is queued here, so it starts without waiting for the next poll.
    pub wake: Arc<tokio::sync::Notify>,
}

fn replica_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gemscope".into());
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    let tail: String = r.iter().map(|b| format!("{b:02x}")).collect();
    let mut name = format!("{host}-{}-{tail}", std::process::id());
    name.truncate(80);
    name
}

fn run_view(r: job_run::Model) -> Option<JobRun> {
    Some(JobRun {
        id: r.id,
        job: JobKind::parse(&r.job)?,
        origin: r.origin,
        status: r.status,
        attempts: r.attempts,
        created_at: rfc3339(r.created_at / 1000),
        started_at: r.started_at.map(|s| rfc3339(s / 1000)),
        duration_ms: r.started_at.zip(r.finished_at).map(|(s, f)| f - s),
        counts: r
            .counts
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default(),
        error: r.error.unwrap_or_default(),
    })
}

impl JobsService {
    pub fn new(
        db: DatabaseConnection,
        rules: Arc<AlertRulesService>,
        config: JobsConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        JobsService {
            db,
            rules,
            config,
            metrics,
            owner: replica_name(),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Runs one job's body. A run "succeeds" when it got through; per-cluster problems are in
    /// its counts. An `Err` is a failure of the whole run, which is retried.
    pub async fn execute(&self, job: JobKind) -> Result<RunCounts, JobError> {
        match job {
            JobKind::AlertStateSync => {
                state_sync::run(&self.db, &self.rules.states, self.config.cluster_timeout).await
            }
            JobKind::AlertConfigCheck => {
                config_check::run(&self.db, &self.rules.checks, self.config.cluster_timeout).await
            }
            JobKind::SystemAlertRules => system_rules::run(&self.db, &self.rules.writing).await,
            JobKind::AlertHistoryArchive => {
                let cutoff = crate::db::now() - i64::from(self.config.retention_days) * 86_400;
                let done = crate::alerts::archive::archive(&self.db, &self.config.data_dir, cutoff)
                    .await?;
                Ok(RunCounts {
                    checked: done.notifications,
                    changed: done.notifications,
                    notes: done.files,
                    ..Default::default()
                })
            }
        }
    }

    fn next_run(&self, job: JobKind) -> Option<String> {
        let s = cron::Schedule::from_str(self.config.schedule(job)).ok()?;
        let next = s.upcoming(chrono::Utc).next()?;
        Some(rfc3339(next.timestamp()))
    }

    async fn clusters_by_id(&self) -> Result<Vec<cluster::Model>, ApiError> {
        cluster::Entity::find()
            .order_by_asc(cluster::Column::Name)
            .all(&self.db)
            .await
            .map_err(ApiError::from)
    }
}

#[async_trait::async_trait]
impl JobsPort for JobsService {
    async fn jobs(&self, caller: &Caller) -> Result<Vec<JobInfo>, ApiError> {
        require_system_admin(caller)?;
        let mut out = Vec::new();
        for job in JobKind::ALL {
            let runs = queue::recent(&self.db, job, 10)
                .await?
                .into_iter()
                .filter_map(run_view)
                .collect();
            out.push(JobInfo {
                job,
                schedule: self.config.schedule(job).to_string(),
                next_run: self.next_run(job),
                runs,
            });
        }
        Ok(out)
    }

    async fn run_now(&self, caller: &Caller, job: JobKind) -> Result<JobRun, ApiError> {
        require_system_admin(caller)?;
        if let Some(p) = queue::pending(&self.db, job).await? {
            return Err(ApiError::conflict("job", Code::JobRunning)
                .arg(job.as_str())
                .arg(&p.status)
                .arg(p.id));
        }
        let row = queue::enqueue_manual(&self.db, job, caller.user_id).await?;
        self.wake.notify_one();
        run_view(row).ok_or_else(ApiError::internal)
    }

    async fn drift(&self, caller: &Caller) -> Result<Vec<ClusterDrift>, ApiError> {
        require_system_admin(caller)?;
        let rules = alert_rule::Entity::find()
            .order_by_asc(alert_rule::Column::Namespace)
            .order_by_asc(alert_rule::Column::Name)
            .all(&self.db)
            .await?;
        let orphans = rule_orphan::Entity::find()
            .order_by_asc(rule_orphan::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for c in self.clusters_by_id().await? {
            let mine: Vec<&alert_rule::Model> =
                rules.iter().filter(|r| r.cluster_id == c.id).collect();
            out.push(ClusterDrift {
                cluster_id: c.id,
                cluster: c.name.clone(),
                ok: mine.iter().filter(|r| r.check_status == CHECK_OK).count() as u64,
                unchecked: mine.iter().filter(|r| r.check_status.is_empty()).count() as u64,
                rules: mine
                    .iter()
                    .filter(|r| !r.check_status.is_empty() && r.check_status != CHECK_OK)
                    .map(|r| DriftRule {
                        id: r.id,
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                        environment_id: r.environment_id,
                        check: crate::alert_rules::store::check_of(r),
                    })
                    .collect(),
                orphans: orphans
                    .iter()
                    .filter(|o| o.cluster_id == c.id)
                    .map(|o| Orphan {
                        id: o.id,
                        kind: o.kind.clone(),
                        namespace: o.namespace.clone(),
                        name: o.name.clone(),
                        content: o.content.clone().unwrap_or_default(),
                        found_at: rfc3339(o.found_at),
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn repair(
        &self,
        caller: &Caller,
        target: RepairTarget,
    ) -> Result<RepairOutcome, ApiError> {
        require_system_admin(caller)?;
        let checks = &self.rules.checks;
        let one = |name: String| RepairOutcome {
            repaired: vec![name],
            ..Default::default()
        };
        Ok(match target {
            RepairTarget::Rule(id) => one(checks.repair_rule(id).await?),
            RepairTarget::Orphan(id) => one(checks.remove_orphan(id).await?),
            RepairTarget::Cluster(cluster_id) => checks.repair_cluster(cluster_id).await?,
        })
    }
}
