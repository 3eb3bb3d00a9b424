//! The alert centre: history of received alerts (episodes, notifications, search), the overview
//! numbers, and the message centre.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One notification received for an alert, with where it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    pub instance_id: i64,
    pub fingerprint: String,
    pub cluster_id: i64,
    pub cluster: String,
    pub namespace: String,
    pub alert_name: String,
    pub tenant_id: Option<i64>,
    pub project: String,
    pub environment_id: Option<i64>,
    pub environment: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// Unix seconds; `ends_at` is 0 while firing.
    pub starts_at: i64,
    pub ends_at: i64,
    pub received_at: i64,
    pub message: String,
    pub value: String,
    pub labels: BTreeMap<String, String>,
}

/// The tenant-wide search. Empty strings and `None` do not filter. `text` holds space-separated
/// tokens: `key=value` matches a label exactly, anything else is a case-insensitive substring of
/// the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistorySearch {
    /// `None`: every tenant, and alerts no tenant owns (system administrators only).
    pub tenant_id: Option<i64>,
    pub project_id: Option<i64>,
    pub environment_id: Option<i64>,
    pub cluster_id: Option<i64>,
    #[serde(default)]
    pub namespace: String,
    /// A substring of the alert name.
    #[serde(default)]
    pub alert_name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub text: String,
    /// Received at or after / before (Unix seconds); 0 leaves the bound open.
    #[serde(default)]
    pub from: i64,
    #[serde(default)]
    pub to: i64,
    /// From 1.
    #[serde(default)]
    pub page: u64,
    #[serde(default)]
    pub page_size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub rows: Vec<HistoryRow>,
    pub page: u64,
    pub has_more: bool,
}

/// One firing episode of an alert: its notifications with the same start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub instance_id: i64,
    pub fingerprint: String,
    pub starts_at: i64,
    /// The latest end received; 0 while it has not resolved.
    pub ends_at: i64,
    pub first_received: i64,
    pub last_received: i64,
    /// `resolved` once any notification said so, else `firing`.
    pub status: String,
    /// Notifications received, repeats included.
    pub count: u64,
    pub message: String,
    pub labels: BTreeMap<String, String>,
}

/// Filters of a rule's history; the same meaning as in [`HistorySearch`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub from: i64,
    #[serde(default)]
    pub to: i64,
    #[serde(default)]
    pub page: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodePage {
    pub episodes: Vec<Episode>,
    pub page: u64,
    pub has_more: bool,
}

/// The overview of a tenant (or, for system administrators, of everything) over a range, with
/// days cut in the caller's time zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverviewQuery {
    pub tenant_id: Option<i64>,
    /// Unix seconds; the trend covers the days these fall in.
    pub from: i64,
    pub to: i64,
    /// An IANA zone such as `Europe/Paris`; empty means UTC.
    #[serde(default)]
    pub time_zone: String,
}

/// Today against yesterday for one count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DayCompare {
    pub today: u64,
    pub yesterday: u64,
    /// Percentage change; `None` when yesterday had none and today has some ("new").
    pub change: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrendSeries {
    pub name: String,
    /// One count per day of `Overview::days`.
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub total: DayCompare,
    pub firing: DayCompare,
    pub resolved: DayCompare,
    /// The start of each day of the trend (Unix seconds) and its date (`2026-11-26`).
    pub days: Vec<(i64, String)>,
    pub trend: Vec<TrendSeries>,
    pub top_alerts: Vec<(String, u64)>,
    pub top_projects: Vec<(String, u64)>,
    pub time_zone: String,
}

/// One entry of the message centre.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub read: bool,
    pub created_at: i64,
    pub alert: HistoryRow,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub unread: u64,
    pub page: u64,
    pub has_more: bool,
}
