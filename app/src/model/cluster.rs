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
    /// Kubernetes: use the service account of the pod Gemscope runs in.
    #[serde(default)]
    pub in_cluster: bool,
    #[serde(default)]
    pub jaeger_url: String,
    /// How this cluster's Alertmanager reaches Gemscope (notify and history webhooks); empty:
    /// the server's `public_url`.
    #[serde(default)]
    pub gemscope_url: String,
    /// Kubernetes: `namespace/service:port` reached through the API server's service proxy when
    /// no direct URL is set. Empty means the default ([`Component::default_service`]); `none` turns it off.
    #[serde(default)]
    pub prometheus_service: String,
    #[serde(default)]
    pub alertmanager_service: String,
    #[serde(default)]
    pub loki_service: String,
    #[serde(default)]
    pub jaeger_service: String,
    /// Kubernetes: where the monitoring objects go; empty means `kubegems-monitoring`.
    #[serde(default)]
    pub monitoring_namespace: String,
    /// Kubernetes: where the Loki rules ConfigMap lives; empty means `kubegems-logging`.
    #[serde(default)]
    pub logging_namespace: String,
    /// How long Alertmanager waits before the first notification of a rule's alerts, and between
    /// notifications of a changed group; empty means 30s each (KubeGems' values).
    #[serde(default)]
    pub alert_group_wait: String,
    #[serde(default)]
    pub alert_group_interval: String,
}

/// A server a cluster runs that Gemscope talks to. Written as its lowercase name on the wire
/// (`EndpointHealth::component`) and in the settings' field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    Prometheus,
    Alertmanager,
    Loki,
    Jaeger,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::Prometheus,
        Component::Alertmanager,
        Component::Loki,
        Component::Jaeger,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Prometheus => "prometheus",
            Component::Alertmanager => "alertmanager",
            Component::Loki => "loki",
            Component::Jaeger => "jaeger",
        }
    }

    /// A cluster can do without it: its failures are shown but do not make it unreachable.
    pub fn is_optional(self) -> bool {
        matches!(self, Component::Loki | Component::Jaeger)
    }

    /// The service the KubeGems monitoring and logging plugins install, used unless a cluster
    /// names another.
    pub fn default_service(self) -> &'static str {
        match self {
            Component::Prometheus => "kubegems-monitoring/prometheus:9090",
            Component::Alertmanager => "kubegems-monitoring/alertmanager:9093",
            Component::Loki => "kubegems-logging/loki-gateway:3100",
            Component::Jaeger => "observability/jaeger-query:16686",
        }
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An in-cluster Service port, written `namespace/service:port` (the port by number or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    pub name: String,
    pub port: String,
}

impl ServiceRef {
    pub fn parse(s: &str) -> Option<Self> {
        let (namespace, rest) = s.split_once('/')?;
        let (name, port) = rest.split_once(':')?;
        let label = |v: &str| crate::domain::validate::dns_label("", v).is_ok();
        let port_ok =
            !port.is_empty() && port.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        (label(namespace) && label(name) && port_ok).then(|| ServiceRef {
            namespace: namespace.into(),
            name: name.into(),
            port: port.into(),
        })
    }

    /// The path of this port behind the API server's service proxy.
    pub fn proxy_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/services/{}:{}/proxy",
            self.namespace, self.name, self.port
        )
    }
}

pub const DEFAULT_MONITORING_NAMESPACE: &str = "kubegems-monitoring";
pub const DEFAULT_LOGGING_NAMESPACE: &str = "kubegems-logging";

impl ClusterSettings {
    /// The direct URL configured for a component, if any.
    /// The base URL receivers in this cluster post to: its own setting, else `public_url`.
    pub fn notify_base(&self, public_url: Option<&str>) -> Option<String> {
        let own = self.gemscope_url.trim();
        let base = if own.is_empty() {
            public_url.unwrap_or_default().trim()
        } else {
            own
        };
        (!base.is_empty()).then(|| base.trim_end_matches('/').to_string())
    }

    pub fn url_of(&self, component: Component) -> &str {
        match component {
            Component::Prometheus => &self.prometheus_url,
            Component::Alertmanager => &self.alertmanager_url,
            Component::Loki => &self.loki_url,
            Component::Jaeger => &self.jaeger_url,
        }
    }

    /// The in-cluster service of a component: the configured one, else the default; `None` when off.
    pub fn service_of(&self, component: Component) -> Option<String> {
        let set = match component {
            Component::Prometheus => &self.prometheus_service,
            Component::Alertmanager => &self.alertmanager_service,
            Component::Loki => &self.loki_service,
            Component::Jaeger => &self.jaeger_service,
        };
        match set.trim() {
            "none" => None,
            "" => Some(component.default_service().to_string()),
            s => Some(s.to_string()),
        }
    }

    pub fn monitoring_ns(&self) -> &str {
        if self.monitoring_namespace.is_empty() {
            DEFAULT_MONITORING_NAMESPACE
        } else {
            &self.monitoring_namespace
        }
    }

    pub fn logging_ns(&self) -> &str {
        if self.logging_namespace.is_empty() {
            DEFAULT_LOGGING_NAMESPACE
        } else {
            &self.logging_namespace
        }
    }
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
    /// How it was reached: `direct` or `service proxy`.
    #[serde(default)]
    pub via: String,
    /// Loki and Jaeger: shown, but a failure does not make the cluster unreachable.
    #[serde(default)]
    pub optional: bool,
}

impl EndpointHealth {
    /// The result of one probe: a version when it answered, else the error.
    pub fn from_outcome(
        component: &str,
        url: String,
        via: &str,
        optional: bool,
        outcome: Result<String, String>,
        latency_ms: u64,
    ) -> Self {
        let (ok, version, error) = match outcome {
            Ok(v) => (true, v, String::new()),
            Err(e) => (false, String::new(), e),
        };
        EndpointHealth {
            component: component.into(),
            url,
            ok,
            version,
            error,
            latency_ms,
            via: via.into(),
            optional,
        }
    }
}

/// Whether the API server serves one of the kinds Gemscope works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrdPresence {
    pub group: String,
    pub kind: String,
    /// The versions serving it; empty when absent.
    pub versions: Vec<String>,
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
    /// Kubernetes: the monitoring and logging kinds found.
    #[serde(default)]
    pub crds: Vec<CrdPresence>,
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
    /// `written`, `unchanged` or `failed`.
    pub outcome: String,
    #[serde(default)]
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::ClusterSettings;

    #[test]
    fn notify_base_prefers_the_cluster_setting() {
        let mut s = ClusterSettings::default();
        assert_eq!(s.notify_base(None), None);
        assert_eq!(
            s.notify_base(Some("https://gemscope.example.com/"))
                .as_deref(),
            Some("https://gemscope.example.com")
        );
        s.gemscope_url = "http://gemscope.gemscope.svc:3000".into();
        assert_eq!(
            s.notify_base(Some("https://gemscope.example.com"))
                .as_deref(),
            Some("http://gemscope.gemscope.svc:3000")
        );
    }
}
