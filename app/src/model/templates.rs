//! The template library: PromQL templates (scope → resource → rule), dashboard templates and the
//! system alert rule set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateScope {
    pub id: i64,
    pub name: String,
    pub show_name: String,
    /// Whether its series carry a `namespace` label (environment queries need one).
    pub namespaced: bool,
    pub resources: Vec<TemplateResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateResource {
    pub id: i64,
    pub scope_id: i64,
    pub name: String,
    pub show_name: String,
    pub rules: Vec<TemplateRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateRule {
    pub id: i64,
    pub resource_id: i64,
    pub name: String,
    pub show_name: String,
    pub description: String,
    /// PromQL without a comparison.
    pub expr: String,
    pub unit: String,
    /// Labels the series are summed by and shown in messages.
    pub labels: Vec<String>,
    /// `None`: a preset every tenant sees.
    pub tenant_id: Option<i64>,
}

/// What a user submits to create or change a rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateRuleInput {
    pub resource_id: i64,
    pub name: String,
    #[serde(default)]
    pub show_name: String,
    #[serde(default)]
    pub description: String,
    pub expr: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub labels: Vec<String>,
    /// `None` creates a preset (system admins only).
    #[serde(default)]
    pub tenant_id: Option<i64>,
}

/// A rule with its scope and resource, addressed as `scope.resource.rule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedTemplate {
    pub scope: String,
    pub scope_show_name: String,
    pub resource: String,
    pub resource_show_name: String,
    pub rule: TemplateRule,
    pub namespaced: bool,
}

impl ResolvedTemplate {
    pub fn key(&self) -> String {
        crate::model::TemplateKey::new(&self.scope, &self.resource, &self.rule.name).to_string()
    }
}

/// A dashboard panel target's template reference (KubeGems' `promqlGenerator` of dashboards).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphGenerator {
    /// Written as the three fields `scope`, `resource`, `rule` (KubeGems' wire format).
    #[serde(flatten)]
    pub key: crate::model::TemplateKey,
    #[serde(default)]
    pub unit: String,
    /// Extra `label=~value` filters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labelpairs: BTreeMap<String, String>,
}

/// One query of a graph: raw PromQL, or a template reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphTarget {
    #[serde(rename = "targetName", default)]
    pub target_name: String,
    #[serde(default)]
    pub expr: String,
    #[serde(rename = "promqlGenerator", default)]
    pub generator: Option<GraphGenerator>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub targets: Vec<GraphTarget>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardTemplate {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub refresh: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub graphs: Vec<Graph>,
    /// Variable label → comma-separated values (usually empty: values come from Prometheus).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// One rule of the system alert set, kept as written (its full shape is the alert rule's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTemplate {
    pub name: String,
    pub body: serde_json::Value,
}

/// What an import would do, or did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    /// Values that look wrong but were imported as written (for example a stray `"`).
    pub warnings: Vec<String>,
    /// Whether it was applied (`false` for a preview).
    pub applied: bool,
}
