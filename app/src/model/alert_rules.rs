//! Alert rules (inventory §1.1, §1.2). The JSON keys are KubeGems' (`alertType`, `promqlGenerator`,
//! `alertLevels`, `alertChannelID` …) so its rule files import as they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FilterOp;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertType {
    /// PromQL, evaluated by Prometheus.
    #[default]
    Monitor,
    /// LogQL, evaluated by the Loki ruler.
    Logging,
}

impl AlertType {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::Monitor => "monitor",
            AlertType::Logging => "logging",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "monitor" => Some(AlertType::Monitor),
            "logging" => Some(AlertType::Logging),
            _ => None,
        }
    }
}

/// `{type, name, value}`; an absent type is `=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelMatcher {
    #[serde(rename = "type", default)]
    pub op: FilterOp,
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromqlGenerator {
    /// Written as the three fields `scope`, `resource`, `rule` (KubeGems' wire format).
    #[serde(flatten)]
    pub key: crate::model::TemplateKey,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub label_matchers: Vec<LabelMatcher>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogqlGenerator {
    /// A Prometheus duration up to 10m.
    pub duration: String,
    /// An RE2 regular expression the log line must match.
    #[serde(rename = "match")]
    pub match_: String,
    #[serde(default)]
    pub label_matchers: Vec<LabelMatcher>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Severity::Error, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertLevel {
    /// `>`, `>=`, `<`, `<=`, `==` or `!=`; empty for a raw expression (it holds its comparison).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compare_op: String,
    /// A PromQL scalar expression: `80`, `50 * 1024 * 1024`, `1.5 * gems_node_cpu_total_cores`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compare_value: String,
    pub severity: Severity,
}

/// A channel the rule notifies and how often a firing alert is repeated there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReceiver {
    #[serde(rename = "alertChannelID")]
    pub channel_id: i64,
    pub interval: String,
}

/// What a user writes: the form, the import file, the body of create and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRuleInput {
    pub name: String,
    #[serde(default)]
    pub alert_type: AlertType,
    /// The raw expression; ignored (and replaced by the generated one) when a generator is set.
    #[serde(default)]
    pub expr: String,
    #[serde(rename = "for", default)]
    pub for_: String,
    /// Empty: generated (inventory §3.4).
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub inhibit_labels: Vec<String>,
    #[serde(default)]
    pub alert_levels: Vec<AlertLevel>,
    #[serde(default)]
    pub receivers: Vec<RuleReceiver>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promql_generator: Option<PromqlGenerator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logql_generator: Option<LogqlGenerator>,
    /// Enabled; a rule can be created disabled (KubeGems could not, §12.15).
    #[serde(default = "yes")]
    pub is_open: bool,
}

fn yes() -> bool {
    true
}

/// Where a rule lives: an environment's namespace, or (system administrators) the monitoring
/// namespace of a cluster, whose rules see every namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum RuleScope {
    Environment(i64),
    System(i64),
}

/// Inactive < pending < firing, as Prometheus orders them; unknown when the rules API could not
/// be asked.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RuleState {
    #[default]
    Unknown,
    Inactive,
    Pending,
    Firing,
}

impl RuleState {
    pub const ALL: [RuleState; 4] = [
        RuleState::Inactive,
        RuleState::Pending,
        RuleState::Firing,
        RuleState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Unknown => "unknown",
            RuleState::Inactive => "inactive",
            RuleState::Pending => "pending",
            RuleState::Firing => "firing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub ok: bool,
    /// The cluster's words when the last write or check failed.
    #[serde(default)]
    pub error: String,
}

/// A stored rule as lists and the detail page show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub id: i64,
    pub cluster_id: i64,
    pub cluster: String,
    pub namespace: String,
    pub environment_id: Option<i64>,
    /// As stored: `expr` is the final (generated or raw) expression, `message` the final one.
    pub spec: AlertRuleInput,
    pub state: RuleState,
    pub sync: SyncStatus,
    /// The last config check (drift) of this rule.
    #[serde(default)]
    pub check: super::RuleCheck,
    /// Channel id → name, for showing receivers.
    pub channels: BTreeMap<i64, String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    pub inactive: u32,
    pub pending: u32,
    pub firing: u32,
    pub unknown: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleList {
    pub rules: Vec<AlertRule>,
    pub counts: StateCounts,
    /// Why state is unknown, when the rules API could not be asked.
    #[serde(default)]
    pub state_error: String,
    /// The namespace rules of this scope are written to.
    pub namespace: String,
    pub cluster_id: i64,
}

/// An alert of a rule as Prometheus or the Loki ruler reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveAlert {
    pub labels: BTreeMap<String, String>,
    pub state: String,
    pub active_at: String,
    pub value: String,
}

/// The objects a rule becomes, as YAML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleObjects {
    /// monitor rules: the PrometheusRule.
    #[serde(default)]
    pub prometheus_rule: String,
    /// logging rules: the rule groups under the namespace's key of the Loki rules.
    #[serde(default)]
    pub loki_rules: String,
    pub alertmanager_config: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleDetail {
    pub rule: AlertRule,
    pub objects: RuleObjects,
    pub alerts: Vec<LiveAlert>,
    #[serde(default)]
    pub state_error: String,
}

/// One level's expression as it will be evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelExpr {
    pub severity: Severity,
    pub expr: String,
}

/// What the editor shows while the user types, computed in the browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePreview {
    pub levels: Vec<LevelExpr>,
    pub message: String,
    pub objects: RuleObjects,
}

/// A series that is over a level's threshold now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FiringSeries {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelCheck {
    pub severity: Severity,
    pub expr: String,
    pub series: Vec<FiringSeries>,
}

/// One level's firing intervals over a backtest range, `[start, end]` in unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelBands {
    pub severity: Severity,
    pub bands: Vec<(i64, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub start: i64,
    pub end: i64,
    pub step: i64,
    /// The expression without thresholds, per series.
    pub series: Vec<super::Series>,
    pub levels: Vec<LevelBands>,
}

/// The outcome of importing one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportItem {
    pub name: String,
    pub created: bool,
    #[serde(default)]
    pub error: String,
}

/// What a token rotation did: the new version, the rules whose routing was re-rendered with it,
/// and those that failed (while any did, the previous token keeps working).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRotation {
    pub version: i32,
    pub rules: usize,
    pub failed: Vec<String>,
    pub old_token_still_valid: bool,
}

/// A silence of one exact alert (a blacklist entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlacklistEntry {
    pub id: String,
    pub labels: BTreeMap<String, String>,
    pub created_by: String,
    pub comment: String,
    pub ends_at: String,
}

/// What the editor needs to render a rule in the browser exactly as the server will.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleEditorContext {
    pub cluster_id: i64,
    pub cluster: String,
    pub namespace: String,
    /// The cluster's monitoring namespace: rules there see every namespace.
    pub global: bool,
    pub group_wait: String,
    pub group_interval: String,
    /// Channels the rule may notify: (id, name).
    pub channels: Vec<(i64, String)>,
    pub templates: Vec<super::ResolvedTemplate>,
    /// Whether the caller may change rules here.
    pub can_edit: bool,
}
