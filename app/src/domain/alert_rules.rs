//! Alert rules to the objects a cluster evaluates (inventory §3): the checks, the expression of
//! each level, the generated message, the rule group (PrometheusRule or Loki ruler), and the
//! routing (AlertmanagerConfig). Pure and byte-stable: the browser renders its live preview with
//! it, the server the objects it writes, and a re-sync compares the two to skip equal writes.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use super::go_template;
use super::logql;
use super::units::Unit;
use super::validate::dns_label;
use crate::error::{ApiError, Code};
use crate::model::{
    AlertRuleInput, AlertType, AmConfigSpec, AmInhibitRule, AmMatcher, AmReceiver, AmRoute,
    AmWebhookConfig, LevelExpr, Rule, RuleFile, RuleGroup, RuleObjects, RulePreview, Severity,
    TemplateRule,
};

pub const COMPARE_OPS: [&str; 6] = [">", ">=", "<", "<=", "==", "!="];
/// The longest log window a generated logging rule counts over (KubeGems' limit).
pub const MAX_LOG_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Gemscope's own receiver on every rule's route: it stores the alert history.
pub const HISTORY_RECEIVER: &str = "gemscope-history";
const NULL_RECEIVER: &str = "null";
/// The label every object Gemscope writes carries, so lists can find exactly its own.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "gemscope");

/// The labels every Gemscope alert carries, which routing, silences, history and the alert
/// centre all match on: the namespace it belongs to, the rule that raised it, and its level.
pub const LABEL_NAMESPACE: &str = "gems_namespace";
pub const LABEL_ALERTNAME: &str = "gems_alertname";
pub const LABEL_SEVERITY: &str = "severity";
const VALUE_ANNOTATION: &str = "{{ $value | printf \"%.1f\" }}";
/// Sizes past which input is refused: a rule is a few hundred bytes, and every rule of a namespace
/// shares one Loki ConfigMap key and one Alertmanager configuration.
pub const MAX_EXPR_BYTES: usize = 16 * 1024;
pub const MAX_THRESHOLD_BYTES: usize = 1024;
pub const MAX_MATCHERS: usize = 32;
pub const MAX_MATCHER_VALUE_BYTES: usize = 1024;
pub const MAX_INHIBIT_LABELS: usize = 16;

/// The Alertmanager receiver name of a channel; ids, not names, so a rename changes no route.
pub fn channel_receiver(id: i64) -> String {
    format!("gemscope-channel-{id}")
}

/// Where a rule is written: its namespace, and whether that is the cluster's monitoring
/// namespace, whose rules see every namespace (no namespace matcher).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub namespace: &'a str,
    pub global: bool,
}

impl Target<'_> {
    fn scoped_ns(&self) -> Option<&str> {
        (!self.global).then_some(self.namespace)
    }
}

/// How Alertmanager groups a rule's notifications (the cluster's setting; 30s/30s by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub wait: String,
    pub interval: String,
}

impl Grouping {
    pub fn of(settings: &crate::model::ClusterSettings) -> Self {
        let or_default = |s: &str| {
            if s.trim().is_empty() {
                "30s".to_string()
            } else {
                s.trim().to_string()
            }
        };
        Grouping {
            wait: or_default(&settings.alert_group_wait),
            interval: or_default(&settings.alert_group_interval),
        }
    }
}

impl Default for Grouping {
    fn default() -> Self {
        Grouping {
            wait: "30s".into(),
            interval: "30s".into(),
        }
    }
}

/// A receiver of the rule's route with its repeat interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTo {
    pub receiver: AmReceiver,
    pub interval: String,
}

/// A rule after checking and generation: what is stored and what is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The expression without thresholds (generated, or the raw one).
    pub expr: String,
    pub message: String,
    pub levels: Vec<LevelExpr>,
    pub group: RuleGroup,
}

impl Rendered {
    /// The input as it is stored: the final expression and message.
    pub fn stored(&self, input: &AlertRuleInput) -> AlertRuleInput {
        AlertRuleInput {
            expr: self.expr.clone(),
            message: self.message.clone(),
            ..input.clone()
        }
    }
}

/// The message annotation: the user's, or one generated from the rule (inventory §3.4). Unlike
/// KubeGems the logging message keeps the selected labels (§12.3).
pub fn message(input: &AlertRuleInput, template: Option<&TemplateRule>) -> String {
    if !input.message.trim().is_empty() {
        return input.message.clone();
    }
    let name = &input.name;
    let value = VALUE_ANNOTATION;
    match input.alert_type {
        AlertType::Monitor => match (&input.promql_generator, template) {
            (Some(g), Some(t)) => {
                let mut m = format!("{name}: [cluster:{{{{ $externalLabels.cluster }}}}] ");
                for l in &t.labels {
                    m.push_str(&format!("[{l}:{{{{ $labels.{l} }}}}] "));
                }
                let unit = if g.unit.is_empty() { &t.unit } else { &g.unit };
                let suffix = Unit::parse(unit).map(|u| u.suffix()).unwrap_or_default();
                m.push_str(&format!(
                    "{} trigger alert, value: {value}{suffix}",
                    go_template::escape(&t.show_name)
                ));
                m
            }
            _ => format!(
                "{name}: [cluster:{{{{ $externalLabels.cluster }}}}] trigger alert, value: {value}"
            ),
        },
        AlertType::Logging => match &input.logql_generator {
            Some(g) => {
                let mut m = format!(
                    "{name}: [cluster:{{{{ $labels.cluster }}}}] [namespace:{{{{ $labels.namespace }}}}] "
                );
                let mut seen = HashSet::new();
                for l in &g.label_matchers {
                    if l.name != "namespace" && seen.insert(&l.name) {
                        m.push_str(&format!("[{0}:{{{{ $labels.{0} }}}}] ", l.name));
                    }
                }
                m.push_str(&format!(
                    "log lines matching [{}] in the last {}: {value}",
                    go_template::escape(&g.match_),
                    go_template::escape(g.duration.trim())
                ));
                m
            }
            None => {
                format!("{name}: [cluster:{{{{ $labels.cluster }}}}] trigger alert, value: {value}")
            }
        },
    }
}

/// The rule group: one alerting rule per level, all with the rule's name (inventory §3.2).
pub fn rule_group(
    target: &Target<'_>,
    input: &AlertRuleInput,
    message: &str,
    levels: &[LevelExpr],
) -> RuleGroup {
    RuleGroup {
        name: input.name.clone(),
        interval: None,
        rules: levels
            .iter()
            .map(|l| Rule {
                record: None,
                alert: Some(input.name.clone()),
                expr: l.expr.clone(),
                for_: Some(input.for_.trim().to_string()),
                labels: BTreeMap::from([
                    (LABEL_NAMESPACE.to_string(), target.namespace.to_string()),
                    (LABEL_ALERTNAME.to_string(), input.name.clone()),
                    (LABEL_SEVERITY.to_string(), l.severity.as_str().to_string()),
                ]),
                annotations: BTreeMap::from([
                    ("message".to_string(), message.to_string()),
                    ("value".to_string(), VALUE_ANNOTATION.to_string()),
                ]),
            })
            .collect(),
    }
}

/// Checks everything and renders the rule. `template` is the generator's template, looked up by
/// the caller (the server from the database, the browser from the catalogue it loaded).
pub fn render(
    input: &AlertRuleInput,
    target: &Target<'_>,
    template: Option<&TemplateRule>,
) -> Result<Rendered, ApiError> {
    dns_label("name", &input.name)?;
    if target.namespace.is_empty() {
        return Err(ApiError::invalid("namespace", Code::Empty));
    }
    duration("for", &input.for_)?;
    check_levels(input)?;
    check_receivers(input)?;
    let expr = base_expr(input, target, template)?;
    let levels = level_exprs(input, target, &expr)?;
    let message = message(input, template);
    go_template::check("message", &message)?;
    let group = rule_group(target, input, &message, &levels);
    Ok(Rendered {
        expr,
        message,
        levels,
        group,
    })
}

fn yaml<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_norway::to_string(v).map_err(|e| ApiError::invalid("rule", Code::CannotRender).arg(e))
}

fn object_yaml<S: serde::Serialize>(
    api_version: &str,
    kind: &str,
    target: &Target<'_>,
    name: &str,
    labels: BTreeMap<String, String>,
    spec: &S,
) -> Result<String, ApiError> {
    yaml(&json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": target.namespace, "labels": labels},
        "spec": spec,
    }))
}

/// The Loki ruler's rules of one namespace: one group per logging rule, in name order (the
/// value of the namespace's key in the Loki rules ConfigMap, inventory §3.5).
pub fn loki_namespace_rules(mut groups: Vec<RuleGroup>) -> RuleFile {
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    RuleFile { groups }
}

/// The YAML of everything a rule becomes.
pub fn objects(
    target: &Target<'_>,
    input: &AlertRuleInput,
    rendered: &Rendered,
    am: &AmConfigSpec,
) -> Result<RuleObjects, ApiError> {
    let name = &input.name;
    let mut out = RuleObjects {
        alertmanager_config: object_yaml(
            "monitoring.coreos.com/v1alpha1",
            "AlertmanagerConfig",
            target,
            name,
            am_config_labels(input.alert_type, name),
            am,
        )?,
        ..Default::default()
    };
    match input.alert_type {
        AlertType::Monitor => {
            out.prometheus_rule = object_yaml(
                "monitoring.coreos.com/v1",
                "PrometheusRule",
                target,
                name,
                prometheus_rule_labels(name),
                &json!({"groups": [&rendered.group]}),
            )?;
        }
        AlertType::Logging => {
            out.loki_rules = yaml(&loki_namespace_rules(vec![rendered.group.clone()]))?;
        }
    }
    Ok(out)
}

/// A stored rule rendered again without its template: the stored expression and message are
/// final, so the objects are exactly the ones written when it was saved.
pub fn from_stored(input: &AlertRuleInput, target: &Target<'_>) -> Result<Rendered, ApiError> {
    let levels = level_exprs(input, target, &input.expr)?;
    go_template::check("message", &input.message)?;
    let group = rule_group(target, input, &input.message, &levels);
    Ok(Rendered {
        expr: input.expr.clone(),
        message: input.message.clone(),
        levels,
        group,
    })
}

/// The objects of a rule as people see them (tokens as placeholders).
pub fn shown_objects(
    input: &AlertRuleInput,
    target: &Target<'_>,
    rendered: &Rendered,
    grouping: &Grouping,
) -> Result<RuleObjects, ApiError> {
    let am = alertmanager_config(
        target,
        &input.name,
        &input.inhibit_labels,
        &placeholder_routes(input),
        grouping,
    );
    objects(target, input, rendered, &am)
}

/// What the editor shows while the user types.
pub fn preview(
    input: &AlertRuleInput,
    target: &Target<'_>,
    template: Option<&TemplateRule>,
    grouping: &Grouping,
) -> Result<RulePreview, ApiError> {
    let rendered = render(input, target, template)?;
    Ok(RulePreview {
        levels: rendered.levels.clone(),
        message: rendered.message.clone(),
        objects: shown_objects(input, target, &rendered, grouping)?,
    })
}

/// The silence that disables a rule is found again by these (inventory §5.1).
pub fn disable_comment(name: &str) -> String {
    format!("silence for {name}")
}

/// `__namespace__` in imported rules (exporter charts' `alerts.yaml`) is the target namespace.
pub fn substitute_namespace(input: &mut AlertRuleInput, namespace: &str) {
    const PLACEHOLDER: &str = "__namespace__";
    input.expr = input.expr.replace(PLACEHOLDER, namespace);
    input.message = input.message.replace(PLACEHOLDER, namespace);
    for g in input.promql_generator.iter_mut() {
        for m in &mut g.label_matchers {
            m.value = m.value.replace(PLACEHOLDER, namespace);
        }
    }
    for g in input.logql_generator.iter_mut() {
        for m in &mut g.label_matchers {
            m.value = m.value.replace(PLACEHOLDER, namespace);
        }
    }
}

mod checks;
mod expr;
mod routing;
use checks::*;
pub use expr::{base_expr, level_exprs};
pub use routing::{
    alertmanager_config, am_config_labels, placeholder_routes, prometheus_rule_labels, routes_to,
};

#[cfg(test)]
mod tests;
