use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a query runs: an environment (its cluster, limited to its namespace), or a whole
/// cluster (system admins only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryTarget {
    Environment(i64),
    Cluster(i64),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterOp {
    #[default]
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "=~")]
    Re,
    #[serde(rename = "!~")]
    NotRe,
}

impl FilterOp {
    pub const ALL: [FilterOp; 4] = [FilterOp::Eq, FilterOp::Ne, FilterOp::Re, FilterOp::NotRe];

    pub fn as_str(self) -> &'static str {
        match self {
            FilterOp::Eq => "=",
            FilterOp::Ne => "!=",
            FilterOp::Re => "=~",
            FilterOp::NotRe => "!~",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A label matcher added to every selector of a query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelFilter {
    pub name: String,
    #[serde(default)]
    pub op: FilterOp,
    pub value: String,
}

/// A PromQL template by its `scope.resource.rule` names. Written and read as that text only here
/// (`Display`, `parse`): URLs, the rule editor, the graph editor and the template pages all use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TemplateKey {
    pub scope: String,
    pub resource: String,
    pub rule: String,
}

impl TemplateKey {
    pub fn new(scope: &str, resource: &str, rule: &str) -> Self {
        TemplateKey {
            scope: scope.into(),
            resource: resource.into(),
            rule: rule.into(),
        }
    }

    /// `scope.resource.rule`: exactly three non-empty names of letters, digits, `_` and `-`.
    pub fn parse(text: &str) -> Option<TemplateKey> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let name = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        };
        match parts.as_slice() {
            [s, r, x] if parts.iter().all(name) => Some(TemplateKey::new(s, r, x)),
            _ => None,
        }
    }

    /// What a user typed, split at its first two dots: an unfinished key keeps the parts it has,
    /// so the server can say which template is missing.
    pub fn from_typed(text: &str) -> TemplateKey {
        let mut parts = text.trim().splitn(3, '.');
        let mut next = || parts.next().unwrap_or_default();
        let (scope, resource, rule) = (next(), next(), next());
        TemplateKey::new(scope, resource, rule)
    }
}

impl std::fmt::Display for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.scope, self.resource, self.rule)
    }
}

/// The query of a chart: a template or raw PromQL, narrowed by label filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricExpr {
    /// Raw PromQL; used when `template` is `None`.
    #[serde(default)]
    pub expr: String,
    #[serde(default)]
    pub template: Option<TemplateKey>,
    #[serde(default)]
    pub filters: Vec<LabelFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeQuery {
    pub target: QueryTarget,
    pub query: MetricExpr,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    /// Seconds; `None` chooses one from the range.
    #[serde(default)]
    pub step: Option<i64>,
}

/// One series of a range result. Values Prometheus reports as NaN or ±Inf are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// (unix seconds, value)
    pub points: Vec<(f64, Option<f64>)>,
}

impl Series {
    /// `{a="1", b="2"}`, or the metric name in front when there is one.
    pub fn legend(&self) -> String {
        let name = self.labels.get("__name__").cloned().unwrap_or_default();
        let rest: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "__name__")
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        match (name.is_empty(), rest.is_empty()) {
            (true, true) => "{}".to_string(),
            (false, true) => name,
            _ => format!("{name}{{{}}}", rest.join(", ")),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RangeResult {
    /// The PromQL that ran (after scoping and template expansion).
    pub expr: String,
    /// The template's unit, or empty for raw PromQL.
    pub unit: String,
    pub start: i64,
    pub end: i64,
    pub step: i64,
    pub series: Vec<Series>,
    /// Prometheus' warnings (for example, a partial answer).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelValuesQuery {
    pub target: QueryTarget,
    pub query: MetricExpr,
    pub label: String,
    pub start: i64,
    pub end: i64,
}

/// A dashboard of an environment (inventory §1.8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub id: i64,
    pub environment_id: i64,
    pub name: String,
    pub step: String,
    pub refresh: String,
    /// `now-30m`, or unix seconds.
    pub start: String,
    pub end: String,
    pub graphs: Vec<crate::model::Graph>,
    /// Variable label → comma-separated fixed values (empty: values come from Prometheus).
    pub variables: BTreeMap<String, String>,
    /// The template it was made from, if any.
    pub template: String,
    pub creator: String,
    pub created_at: String,
}

/// What a user edits. On create, a `template` fills in everything the user left empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardInput {
    pub name: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub refresh: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub graphs: Vec<crate::model::Graph>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// One refresh of a dashboard: every panel in one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardQuery {
    pub dashboard_id: i64,
    pub start: i64,
    pub end: i64,
    /// Variable label → the selected value (empty or absent: no filter).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// A panel's result: its series per target, or the error of that panel alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelResult {
    pub index: usize,
    pub result: Result<RangeResult, crate::error::ApiError>,
}

#[cfg(test)]
mod tests {
    use super::TemplateKey;

    #[test]
    fn keys_are_written_and_read_in_one_way() {
        let k = TemplateKey::new("containers", "container", "cpuUsagePercent");
        assert_eq!(k.to_string(), "containers.container.cpuUsagePercent");
        assert_eq!(
            TemplateKey::parse(" containers.container.cpuUsagePercent "),
            Some(k.clone())
        );
        for not_a_key in ["", "a.b", "a..c", "a.b.c.d", "sum(rate(x[5m]))", "a.b.c d"] {
            assert_eq!(TemplateKey::parse(not_a_key), None, "{not_a_key:?}");
        }
        assert_eq!(
            TemplateKey::from_typed("a.b"),
            TemplateKey::new("a", "b", "")
        );
        assert_eq!(TemplateKey::from_typed(&k.to_string()), k);
    }
}
