//! Scheduled jobs, their runs, and the config check's drift report.

use serde::{Deserialize, Serialize};

/// The jobs Gemscope runs on a schedule. The names are stable: they key the run rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// Rule state from the rules APIs of every cluster.
    AlertStateSync,
    /// Every rule re-rendered and compared with what its cluster holds.
    AlertConfigCheck,
    /// The system alert rule set in every monitored cluster.
    SystemAlertRules,
    /// Old alert history moved to CSV files.
    AlertHistoryArchive,
}

impl JobKind {
    pub const ALL: [JobKind; 4] = [
        JobKind::AlertStateSync,
        JobKind::AlertConfigCheck,
        JobKind::SystemAlertRules,
        JobKind::AlertHistoryArchive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::AlertStateSync => "alert-state-sync",
            JobKind::AlertConfigCheck => "alert-config-check",
            JobKind::SystemAlertRules => "system-alert-rules",
            JobKind::AlertHistoryArchive => "alert-history-archive",
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What one run did. Which counters mean something depends on the job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Rules (or clusters, or notifications) looked at.
    #[serde(default)]
    pub checked: u64,
    /// State changes written, rules created, notifications archived.
    #[serde(default)]
    pub changed: u64,
    #[serde(default)]
    pub drifted: u64,
    #[serde(default)]
    pub repaired: u64,
    #[serde(default)]
    pub errors: u64,
    /// The first problems, readable (a run with errors still succeeds as a run).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Run notes are kept short: the rules themselves carry the full detail.
pub const MAX_RUN_NOTES: usize = 20;

impl RunCounts {
    pub fn note(&mut self, text: impl Into<String>) {
        if self.notes.len() < MAX_RUN_NOTES {
            self.notes.push(text.into());
        }
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.errors += 1;
        self.note(text);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRun {
    pub id: i64,
    pub job: JobKind,
    /// `schedule` or `manual`.
    pub origin: String,
    /// `queued`, `running`, `ok` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub created_at: String,
    pub started_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub counts: RunCounts,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    pub job: JobKind,
    /// Six-field cron (seconds first), or empty when the job is switched off.
    pub schedule: String,
    pub next_run: Option<String>,
    pub runs: Vec<JobRun>,
}

/// How a rule compared with its cluster at the last config check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// `ok`, `warning`, `error`, or empty when never checked.
    pub status: String,
    /// Readable reasons: "differs from the cluster", "missing in the cluster", warnings.
    #[serde(default)]
    pub problems: Vec<String>,
    /// Unified diff of the YAML, database side first; empty when they match.
    #[serde(default)]
    pub diff: String,
    #[serde(default)]
    pub checked_at: String,
}

impl RuleCheck {
    pub fn drifted(&self) -> bool {
        self.status == "error"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRule {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub environment_id: Option<i64>,
    pub check: RuleCheck,
}

/// An object labelled as Gemscope's alert rule that no rule owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    pub id: i64,
    /// `PrometheusRule`, `AlertmanagerConfig`, `LokiRules` (a ConfigMap key) or `RuleFile`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub content: String,
    pub found_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterDrift {
    pub cluster_id: i64,
    pub cluster: String,
    /// Rules whose last check was not ok.
    pub rules: Vec<DriftRule>,
    pub orphans: Vec<Orphan>,
    /// Rules checked with no problem.
    pub ok: u64,
    pub unchecked: u64,
}

/// What to repair: one rule, one orphan, or everything drifted in a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RepairTarget {
    Rule(i64),
    Orphan(i64),
    Cluster(i64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairOutcome {
    pub repaired: Vec<String>,
    pub failed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_round_trip_and_match_serde() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
        assert_eq!(JobKind::parse("nope"), None);
    }

    #[test]
    fn run_notes_are_bounded_but_errors_keep_counting() {
        let mut c = RunCounts::default();
        for i in 0..(MAX_RUN_NOTES + 5) {
            c.error(format!("e{i}"));
        }
        assert_eq!(c.errors as usize, MAX_RUN_NOTES + 5);
        assert_eq!(c.notes.len(), MAX_RUN_NOTES);
    }
}
