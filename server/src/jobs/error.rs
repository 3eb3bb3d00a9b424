//! Why a job's run failed as a whole (per-cluster problems are in its counts instead). The text
//! is what `/jobs` shows and the run keeps; the database's causes are logged where they happen.

use app::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The application database could not be read or written.
    #[error("{}", .0.message)]
    Store(ApiError),
    /// What the job needs is not set up (no channel to notify, say); the text says what to do.
    #[error("{0}")]
    NotReady(&'static str),
    /// A stored value does not parse (the database was changed by hand, or by a newer version).
    #[error("{what} is stored corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    /// The workers stopped with an error.
    #[error("the job workers stopped: {0}")]
    Workers(String),
    /// A schedule in the configuration is not a cron expression.
    #[error("schedule of {job}: {schedule:?}: {source}")]
    Schedule {
        job: &'static str,
        schedule: String,
        #[source]
        source: cron::error::Error,
    },
}

impl From<ApiError> for JobError {
    fn from(e: ApiError) -> Self {
        JobError::Store(e)
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        JobError::Store(ApiError::from(e))
    }
}

/// One cluster's part of a run failed; the run goes on with the others and counts it.
#[derive(Debug, thiserror::Error)]
#[error("{cluster}: {reason}")]
pub struct ClusterFailure {
    pub cluster: String,
    pub reason: String,
}

impl ClusterFailure {
    pub fn new(cluster: &str, reason: impl std::fmt::Display) -> Self {
        ClusterFailure {
            cluster: cluster.to_string(),
            reason: reason.to_string(),
        }
    }
}
