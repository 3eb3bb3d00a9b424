//! The cluster form's state, and the text a prepare leaves behind.

use super::*;

#[derive(Clone, Copy)]
pub(super) struct ClusterForm {
    pub(super) editing: RwSignal<Option<i64>>,
    pub(super) name: RwSignal<String>,
    pub(super) description: RwSignal<String>,
    pub(super) kind: RwSignal<ClusterKind>,
    pub(super) kubeconfig: RwSignal<String>,
    pub(super) bearer_token: RwSignal<String>,
    pub(super) api_server: RwSignal<String>,
    pub(super) prometheus_url: RwSignal<String>,
    pub(super) alertmanager_url: RwSignal<String>,
    pub(super) loki_url: RwSignal<String>,
    pub(super) rules_dir: RwSignal<String>,
    pub(super) loki_rules_dir: RwSignal<String>,
    pub(super) alertmanager_config_path: RwSignal<String>,
    pub(super) jaeger_url: RwSignal<String>,
    pub(super) gemscope_url: RwSignal<String>,
    pub(super) alert_group_wait: RwSignal<String>,
    pub(super) alert_group_interval: RwSignal<String>,
    pub(super) prometheus_service: RwSignal<String>,
    pub(super) alertmanager_service: RwSignal<String>,
    pub(super) loki_service: RwSignal<String>,
    pub(super) jaeger_service: RwSignal<String>,
    pub(super) monitoring_namespace: RwSignal<String>,
    pub(super) logging_namespace: RwSignal<String>,
    pub(super) in_cluster: RwSignal<bool>,
}

impl ClusterForm {
    pub(super) fn new() -> Self {
        let s = || RwSignal::new(String::new());
        ClusterForm {
            editing: RwSignal::new(None),
            name: s(),
            description: s(),
            kind: RwSignal::new(ClusterKind::Kubernetes),
            kubeconfig: s(),
            bearer_token: s(),
            api_server: s(),
            prometheus_url: s(),
            alertmanager_url: s(),
            loki_url: s(),
            rules_dir: s(),
            loki_rules_dir: s(),
            alertmanager_config_path: s(),
            jaeger_url: s(),
            gemscope_url: s(),
            alert_group_wait: s(),
            alert_group_interval: s(),
            prometheus_service: s(),
            alertmanager_service: s(),
            loki_service: s(),
            jaeger_service: s(),
            monitoring_namespace: s(),
            logging_namespace: s(),
            in_cluster: RwSignal::new(false),
        }
    }

    pub(super) fn load(&self, c: Option<&Cluster>) {
        let empty = ClusterSettings::default();
        let s = c.map(|c| &c.settings).unwrap_or(&empty);
        self.editing.set(c.map(|c| c.id));
        self.name.set(c.map(|c| c.name.clone()).unwrap_or_default());
        self.description
            .set(c.map(|c| c.description.clone()).unwrap_or_default());
        self.kind.set(c.map(|c| c.kind).unwrap_or_default());
        self.kubeconfig.set(String::new());
        self.bearer_token.set(String::new());
        self.api_server.set(s.api_server.clone());
        self.prometheus_url.set(s.prometheus_url.clone());
        self.alertmanager_url.set(s.alertmanager_url.clone());
        self.loki_url.set(s.loki_url.clone());
        self.rules_dir.set(s.rules_dir.clone());
        self.loki_rules_dir.set(s.loki_rules_dir.clone());
        self.alertmanager_config_path
            .set(s.alertmanager_config_path.clone());
        self.jaeger_url.set(s.jaeger_url.clone());
        self.gemscope_url.set(s.gemscope_url.clone());
        self.alert_group_wait.set(s.alert_group_wait.clone());
        self.alert_group_interval
            .set(s.alert_group_interval.clone());
        self.prometheus_service.set(s.prometheus_service.clone());
        self.alertmanager_service
            .set(s.alertmanager_service.clone());
        self.loki_service.set(s.loki_service.clone());
        self.jaeger_service.set(s.jaeger_service.clone());
        self.monitoring_namespace
            .set(s.monitoring_namespace.clone());
        self.logging_namespace.set(s.logging_namespace.clone());
        self.in_cluster.set(s.in_cluster);
    }

    /// Empty secret inputs keep what is stored.
    pub(super) fn input(&self) -> ClusterInput {
        let secret = |v: String| if v.is_empty() { None } else { Some(v) };
        ClusterInput {
            name: self.name.get_untracked(),
            description: self.description.get_untracked(),
            kind: self.kind.get_untracked(),
            settings: ClusterSettings {
                api_server: self.api_server.get_untracked(),
                prometheus_url: self.prometheus_url.get_untracked(),
                alertmanager_url: self.alertmanager_url.get_untracked(),
                loki_url: self.loki_url.get_untracked(),
                rules_dir: self.rules_dir.get_untracked(),
                loki_rules_dir: self.loki_rules_dir.get_untracked(),
                alertmanager_config_path: self.alertmanager_config_path.get_untracked(),
                jaeger_url: self.jaeger_url.get_untracked(),
                gemscope_url: self.gemscope_url.get_untracked(),
                alert_group_wait: self.alert_group_wait.get_untracked(),
                alert_group_interval: self.alert_group_interval.get_untracked(),
                prometheus_service: self.prometheus_service.get_untracked(),
                alertmanager_service: self.alertmanager_service.get_untracked(),
                loki_service: self.loki_service.get_untracked(),
                jaeger_service: self.jaeger_service.get_untracked(),
                monitoring_namespace: self.monitoring_namespace.get_untracked(),
                logging_namespace: self.logging_namespace.get_untracked(),
                in_cluster: self.in_cluster.get_untracked(),
            },
            kubeconfig: secret(self.kubeconfig.get_untracked()),
            bearer_token: secret(self.bearer_token.get_untracked()),
        }
    }
}

pub(super) fn prepare_summary(done: Vec<PrepareResult>) -> String {
    done.into_iter()
        .map(|d| {
            let detail = if d.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.detail)
            };
            format!("{} ({}): {}{detail}", d.name, d.target, d.outcome)
        })
        .collect::<Vec<_>>()
        .join(", ")
}
