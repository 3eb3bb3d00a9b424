use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    #[default]
    Kubernetes,
    Standalone,
}

impl ClusterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Kubernetes => "kubernetes",
            ClusterKind::Standalone => "standalone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kubernetes" => Some(ClusterKind::Kubernetes),
            "standalone" => Some(ClusterKind::Standalone),
            _ => None,
        }
    }
}

/// Connection settings that are not secret; stored as JSON beside the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClusterSettings {
    /// Kubernetes: optional override of the API server in the kubeconfig.
    #[serde(default)]
    pub api_server: String,
    #[serde(default)]
    pub prometheus_url: String,
    #[serde(default)]
    pub alertmanager_url: String,
    #[serde(default)]
    pub loki_url: String,
    /// Standalone: directory whose `*.yml` Prometheus loads as rule files.
    #[serde(default)]
    pub rules_dir: String,
    /// Standalone: the Loki ruler's rules directory.
    #[serde(default)]
    pub loki_rules_dir: String,
    /// Standalone: where Gemscope writes alertmanager.yml.
    #[serde(default)]
    pub alertmanager_config_path: String,
}

/// A cluster as read back: secrets are only reported as present or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub kind: ClusterKind,
    pub settings: ClusterSettings,
    pub has_kubeconfig: bool,
    pub has_bearer_token: bool,
    pub created_at: String,
    /// The last connection test, if one ran.
    #[serde(default)]
    pub last_check: Option<ClusterCheck>,
}

/// Create or update input. `None` secrets keep what is stored; `Some("")` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClusterInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: ClusterKind,
    #[serde(default)]
    pub settings: ClusterSettings,
    #[serde(default)]
    pub kubeconfig: Option<String>,
    #[serde(default)]
    pub bearer_token: Option<String>,
}

/// What tenant admins need to pick a cluster for an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRef {
    pub id: i64,
    pub name: String,
}

/// One endpoint of a cluster as the last connection test found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointHealth {
    /// `prometheus`, `alertmanager`, `loki` or `kubernetes`.
    pub component: String,
    pub url: String,
    pub ok: bool,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub error: String,
    pub latency_ms: u64,
}

/// The result of testing a cluster's connections, stored with the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCheck {
    pub checked_at: String,
    /// True only when every checked endpoint answered.
    pub reachable: bool,
    pub endpoints: Vec<EndpointHealth>,
    /// The objects "prepare" installs, and whether each is there and up to date.
    #[serde(default)]
    pub prepared: Vec<PreparedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedItem {
    /// e.g. `gemscope-recording-rules`.
    pub name: String,
    /// Which server loads it: `prometheus` or `loki`.
    pub target: String,
    pub present: bool,
    /// Present and identical to what Gemscope would write now.
    pub current: bool,
    #[serde(default)]
    pub error: String,
}

/// What one "prepare" did to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepareResult {
    pub name: String,
    pub target: String,
    /// `written` or `unchanged`.
    pub outcome: String,
}
