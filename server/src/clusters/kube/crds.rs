//! Typed definitions of the custom resources Gemscope writes or reads: prometheus-operator's
//! PrometheusRule, AlertmanagerConfig, ServiceMonitor and Probe, and logging-operator's Flow,
//! ClusterFlow, Output and ClusterOutput. Only the fields Gemscope uses are declared; every
//! object built from them is checked against the real CRD schemas in the tests.

use std::collections::BTreeMap;

use app::model::{AmConfigSpec, RuleGroup};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::core::{ApiResource, GroupVersionKind};
use serde::{Deserialize, Serialize};

/// Where a kind lives in the API.
pub trait Crd {
    const GROUP: &'static str;
    const VERSION: &'static str;
    const KIND: &'static str;
    const PLURAL: &'static str;
    type Spec: Serialize + for<'de> Deserialize<'de> + Clone + PartialEq;

    fn api_resource() -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(Self::GROUP, Self::VERSION, Self::KIND),
            Self::PLURAL,
        )
    }
}

/// A custom resource object: apiVersion, kind, metadata and a typed spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Object<S> {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: S,
}

impl<S> Object<S> {
    pub fn new<C: Crd<Spec = S>>(
        namespace: &str,
        name: &str,
        labels: BTreeMap<String, String>,
        spec: S,
    ) -> Self {
        Object {
            api_version: format!("{}/{}", C::GROUP, C::VERSION),
            kind: C::KIND.to_string(),
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(namespace.to_string()),
                labels: (!labels.is_empty()).then_some(labels),
                ..Default::default()
            },
            spec,
        }
    }
}

macro_rules! crd {
    ($name:ident, $group:literal, $version:literal, $plural:literal, $spec:ty) => {
        pub struct $name;
        impl Crd for $name {
            const GROUP: &'static str = $group;
            const VERSION: &'static str = $version;
            const KIND: &'static str = stringify!($name);
            const PLURAL: &'static str = $plural;
            type Spec = $spec;
        }
    };
}

crd!(
    PrometheusRule,
    "monitoring.coreos.com",
    "v1",
    "prometheusrules",
    PrometheusRuleSpec
);
crd!(
    AlertmanagerConfig,
    "monitoring.coreos.com",
    "v1alpha1",
    "alertmanagerconfigs",
    AmConfigSpec
);
crd!(
    ServiceMonitor,
    "monitoring.coreos.com",
    "v1",
    "servicemonitors",
    ServiceMonitorSpec
);
crd!(Probe, "monitoring.coreos.com", "v1", "probes", ProbeSpec);
crd!(Flow, "logging.banzaicloud.io", "v1beta1", "flows", FlowSpec);
crd!(
    ClusterFlow,
    "logging.banzaicloud.io",
    "v1beta1",
    "clusterflows",
    FlowSpec
);
crd!(
    Output,
    "logging.banzaicloud.io",
    "v1beta1",
    "outputs",
    OutputSpec
);
crd!(
    ClusterOutput,
    "logging.banzaicloud.io",
    "v1beta1",
    "clusteroutputs",
    OutputSpec
);

/// The kinds a connection test looks for, by group.
pub const MONITORING_KINDS: [&str; 4] = [
    "PrometheusRule",
    "AlertmanagerConfig",
    "ServiceMonitor",
    "Probe",
];
pub const LOGGING_KINDS: [&str; 4] = ["Flow", "ClusterFlow", "Output", "ClusterOutput"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: LabelSelector,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    pub endpoints: Vec<MonitorEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_names: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MonitorEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    pub prober: Prober,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub targets: ProbeTargets,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Prober {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProbeTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_config: Option<StaticConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StaticConfig {
    #[serde(rename = "static")]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FlowSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<serde_json::Value>,
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<FlowMatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_output_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub global_output_refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FlowMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<FlowSelect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<FlowSelect>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub struct FlowSelect {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OutputSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loki: Option<LokiOutput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LokiOutput {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configure_kubernetes_labels: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_kubernetes_labels: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<Buffer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Buffer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timekey: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timekey_wait: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timekey_use_utc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_interval: Option<String>,
}
