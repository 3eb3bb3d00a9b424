//! What a cluster should hold for Gemscope's alert rules, named object by object, and how that
//! compares with what it does hold. Pure: the cluster backends read and write; this module says
//! what the objects are (`kube_objects`, `file_objects`) and what differs (`diff`).
//!
//! Kubernetes: a PrometheusRule per monitoring rule, a group in the namespace's key of the Loki
//! rules ConfigMap per logging rule, an AlertmanagerConfig and a receiver Secret per rule.
//! Standalone: a rule file per monitoring rule, a group in the namespace's Loki rule file per
//! logging rule, and each rule's routes and receivers in the merged `alertmanager.yml`.

mod diff;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::domain::alert_rules::{MANAGED_BY, am_config_labels, prometheus_rule_labels};
use crate::domain::{am_config, receiver_secret, rule_file};
use crate::model::{
    AlertType, AmConfigSpec, ClusterSettings, NamespacedAmConfig, RuleFile, RuleGroup,
};

pub use diff::{
    ERROR, Finding, Live, OK, OrphanFound, RuleExpectation, WARNING, compare, compare_text, diff,
    normalize, redact_tokens, unified, yaml,
};

/// The API versions of the two custom resources (the server's CRD types use the same; a test
/// there holds them equal).
pub const PROMETHEUS_RULE_API: &str = "monitoring.coreos.com/v1";
pub const ALERTMANAGER_CONFIG_API: &str = "monitoring.coreos.com/v1alpha1";

/// One rule as the cluster gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleObject {
    pub namespace: String,
    pub name: String,
    pub kind: AlertType,
    pub group: RuleGroup,
    pub am: AmConfigSpec,
}

/// One object Gemscope keeps in a cluster, by what it is and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectRef {
    PrometheusRule {
        namespace: String,
        name: String,
    },
    AlertmanagerConfig {
        namespace: String,
        name: String,
    },
    /// A rule's receiver URLs (Kubernetes).
    ReceiverSecret {
        namespace: String,
        name: String,
    },
    /// One group of a namespace's Loki rules: a ConfigMap key, or a file.
    LokiGroup {
        namespace: String,
        group: String,
    },
    /// A standalone Prometheus rule file, by its stem.
    RuleFile {
        name: String,
    },
    /// A rule's routes and receivers in a standalone `alertmanager.yml`.
    Routing {
        namespace: String,
        name: String,
    },
}

pub const KIND_PROMETHEUS_RULE: &str = "PrometheusRule";
pub const KIND_AM_CONFIG: &str = "AlertmanagerConfig";
pub const KIND_SECRET: &str = "Secret";
pub const KIND_LOKI_RULES: &str = "LokiRules";
pub const KIND_RULE_FILE: &str = "RuleFile";
pub const KIND_ROUTING: &str = "Routing";

impl ObjectRef {
    /// The kind as orphans are stored and shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PrometheusRule { .. } => KIND_PROMETHEUS_RULE,
            Self::AlertmanagerConfig { .. } => KIND_AM_CONFIG,
            Self::ReceiverSecret { .. } => KIND_SECRET,
            Self::LokiGroup { .. } => KIND_LOKI_RULES,
            Self::RuleFile { .. } => KIND_RULE_FILE,
            Self::Routing { .. } => KIND_ROUTING,
        }
    }

    /// The namespace (empty for a standalone rule file, which is named after it).
    pub fn namespace(&self) -> &str {
        match self {
            Self::PrometheusRule { namespace, .. }
            | Self::AlertmanagerConfig { namespace, .. }
            | Self::ReceiverSecret { namespace, .. }
            | Self::LokiGroup { namespace, .. }
            | Self::Routing { namespace, .. } => namespace,
            Self::RuleFile { .. } => "",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::PrometheusRule { name, .. }
            | Self::AlertmanagerConfig { name, .. }
            | Self::ReceiverSecret { name, .. }
            | Self::RuleFile { name }
            | Self::Routing { name, .. } => name,
            Self::LokiGroup { group, .. } => group,
        }
    }

    /// The object a stored orphan names; `None` for a kind that is never an orphan.
    pub fn parse(kind: &str, namespace: &str, name: &str) -> Option<Self> {
        let (namespace, name) = (namespace.to_string(), name.to_string());
        Some(match kind {
            KIND_PROMETHEUS_RULE => Self::PrometheusRule { namespace, name },
            KIND_AM_CONFIG => Self::AlertmanagerConfig { namespace, name },
            KIND_LOKI_RULES => Self::LokiGroup {
                namespace,
                group: name,
            },
            KIND_RULE_FILE => Self::RuleFile { name },
            _ => return None,
        })
    }

    /// Whether one that no rule owns is reported (and may be removed) as an orphan. Secrets and
    /// routing parts go with their rule's AlertmanagerConfig or file.
    pub fn may_be_orphan(&self) -> bool {
        !matches!(self, Self::ReceiverSecret { .. } | Self::Routing { .. })
    }

    /// The rule (namespace, name) this object is named after. Logging groups are named after
    /// their rule; rule files are `alert_<namespace>_<name>` (`_` occurs in neither).
    pub fn owner(&self) -> Option<(String, String)> {
        match self {
            Self::ReceiverSecret { namespace, name } => Some((
                namespace.clone(),
                name.strip_prefix(&receiver_secret::secret_name(""))?
                    .to_string(),
            )),
            Self::RuleFile { name } => {
                let (ns, rule) = name.strip_prefix("alert_")?.split_once('_')?;
                Some((ns.to_string(), rule.to_string()))
            }
            other => Some((other.namespace().to_string(), other.name().to_string())),
        }
    }
}

/// One object as the database renders it. `what` names it in the report; `content` is what is
/// compared and written: a whole Kubernetes object, a rule group, a file's text (a string) or a
/// routing part.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub object: ObjectRef,
    pub what: String,
    pub content: Value,
}

/// The stem of a standalone rule's Prometheus rule file.
pub fn rule_file_stem(ns: &str, name: &str) -> String {
    // `_` cannot occur in either DNS label, so the file name is unique per rule.
    format!("alert_{ns}_{name}")
}

/// The stem of a standalone cluster's Loki rule file: one per namespace, holding the groups of
/// its logging rules (the ruler polls the directory, so nothing is reloaded).
pub fn loki_file_stem(ns: &str) -> String {
    format!("alert_{ns}")
}

/// The logging rule groups of one namespace, from every rule of a cluster.
pub fn loki_groups(rules: &[RuleObject], ns: &str) -> Vec<RuleGroup> {
    rules
        .iter()
        .filter(|r| r.kind == AlertType::Logging && r.namespace == ns)
        .map(|r| r.group.clone())
        .collect()
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// A namespaced Kubernetes object with Gemscope's labels.
pub fn kube_object(
    api_version: &str,
    kind: &str,
    ns: &str,
    name: &str,
    labels: BTreeMap<String, String>,
    spec: Value,
) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": spec,
    })
}

/// The Secret that holds a rule's receiver URLs (`data` is base64, as the API returns it, so a
/// live Secret compares equal to the one rendered).
pub fn receiver_secret_object(ns: &str, rule: &str, data: &BTreeMap<String, String>) -> Value {
    use base64::Engine;
    let encoded: BTreeMap<&String, String> = data
        .iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": receiver_secret::secret_name(rule),
            "namespace": ns,
            "labels": {MANAGED_BY.0: MANAGED_BY.1},
        },
        "data": encoded,
    })
}

/// What a Kubernetes cluster should hold for one rule, in the order it is written: the rule
/// (PrometheusRule or Loki group), then the receiver URLs, then the AlertmanagerConfig that refers
/// to them (so it never points at a missing key).
pub fn kube_objects(rule: &RuleObject) -> Result<Vec<Desired>, String> {
    let (ns, name) = (rule.namespace.as_str(), rule.name.as_str());
    let mut out = Vec::with_capacity(4);
    match rule.kind {
        AlertType::Monitor => out.push(Desired {
            object: ObjectRef::PrometheusRule {
                namespace: ns.into(),
                name: name.into(),
            },
            what: format!("{KIND_PROMETHEUS_RULE} {ns}/{name}"),
            content: kube_object(
                PROMETHEUS_RULE_API,
                KIND_PROMETHEUS_RULE,
                ns,
                name,
                prometheus_rule_labels(name),
                json!({"groups": [&rule.group]}),
            ),
        }),
        AlertType::Logging => out.push(Desired {
            object: ObjectRef::LokiGroup {
                namespace: ns.into(),
                group: rule.group.name.clone(),
            },
            what: format!("Loki rules {ns}/{}", rule.group.name),
            content: to_value(&rule.group)?,
        }),
    }
    let (am, urls) = receiver_secret::with_url_secrets(&rule.am, name);
    let secret = receiver_secret::secret_name(name);
    out.push(Desired {
        object: ObjectRef::ReceiverSecret {
            namespace: ns.into(),
            name: secret.clone(),
        },
        what: format!("{KIND_SECRET} {ns}/{secret}"),
        content: receiver_secret_object(ns, name, &urls),
    });
    out.push(Desired {
        object: ObjectRef::AlertmanagerConfig {
            namespace: ns.into(),
            name: name.into(),
        },
        what: format!("{KIND_AM_CONFIG} {ns}/{name}"),
        content: kube_object(
            ALERTMANAGER_CONFIG_API,
            KIND_AM_CONFIG,
            ns,
            name,
            am_config_labels(rule.kind, name),
            to_value(&am)?,
        ),
    });
    Ok(out)
}

/// A standalone cluster's `alertmanager.yml` as Gemscope writes it from every rule.
pub fn merged_alertmanager(rules: &[RuleObject]) -> Result<String, String> {
    let configs: Vec<NamespacedAmConfig> = rules
        .iter()
        .map(|r| NamespacedAmConfig {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            spec: r.am.clone(),
        })
        .collect();
    am_config::merge(&am_config::global_spec(), &configs)
}

/// The prefix of a rule's receivers in a merged `alertmanager.yml`.
pub fn routing_prefix(ns: &str, name: &str) -> String {
    format!("{ns}/{name}/")
}

/// The part of a merged `alertmanager.yml` that belongs to one rule: its routes and receivers,
/// whose names carry the rule's `namespace/name/` prefix.
pub fn routing_part(file: &Value, prefix: &str) -> Value {
    fn mentions(route: &Value, prefix: &str) -> bool {
        route["receiver"]
            .as_str()
            .is_some_and(|r| r.starts_with(prefix))
            || route["routes"]
                .as_array()
                .is_some_and(|rs| rs.iter().any(|r| mentions(r, prefix)))
    }
    let routes: Vec<&Value> = file["route"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| mentions(r, prefix))
        .collect();
    let receivers: Vec<&Value> = file["receivers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .collect();
    json!({"routes": routes, "receivers": receivers})
}

pub fn is_empty_routing(v: &Value) -> bool {
    v["routes"].as_array().is_none_or(|a| a.is_empty())
        && v["receivers"].as_array().is_none_or(|a| a.is_empty())
}

/// Every rule's routing part of an `alertmanager.yml` (rules found by their receivers' prefix).
pub fn routing_parts(file: &Value) -> BTreeMap<ObjectRef, Value> {
    let mut out = BTreeMap::new();
    for r in file["receivers"].as_array().into_iter().flatten() {
        let Some(mut parts) = r["name"].as_str().map(|n| n.splitn(3, '/')) else {
            continue;
        };
        let (Some(ns), Some(name), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let object = ObjectRef::Routing {
            namespace: ns.into(),
            name: name.into(),
        };
        out.entry(object)
            .or_insert_with(|| routing_part(file, &routing_prefix(ns, name)));
    }
    out
}

/// What a standalone cluster should hold for one rule. `alertmanager` is the merged file of every
/// rule as a value (`None` when the cluster has no Alertmanager config path).
pub fn file_objects(
    rule: &RuleObject,
    s: &ClusterSettings,
    alertmanager: Option<&Value>,
) -> Result<Vec<Desired>, String> {
    let (ns, name) = (rule.namespace.as_str(), rule.name.as_str());
    let mut out = Vec::with_capacity(2);
    if let Some(file) = alertmanager {
        out.push(Desired {
            object: ObjectRef::Routing {
                namespace: ns.into(),
                name: name.into(),
            },
            what: format!("alertmanager.yml routing of {ns}/{name}"),
            content: routing_part(file, &routing_prefix(ns, name)),
        });
    }
    match rule.kind {
        AlertType::Monitor => {
            let stem = rule_file_stem(ns, name);
            let path = Path::new(&s.rules_dir).join(format!("{stem}.yml"));
            let text = rule_file::render(&RuleFile {
                groups: vec![rule.group.clone()],
            })?;
            out.push(Desired {
                object: ObjectRef::RuleFile { name: stem },
                what: format!("{KIND_RULE_FILE} {}", path.display()),
                content: Value::String(text),
            });
        }
        AlertType::Logging => {
            let path = Path::new(&s.loki_rules_dir).join(format!("{}.yml", loki_file_stem(ns)));
            out.push(Desired {
                object: ObjectRef::LokiGroup {
                    namespace: ns.into(),
                    group: rule.group.name.clone(),
                },
                what: format!("Loki rules {}", path.display()),
                content: to_value(&rule.group)?,
            });
        }
    }
    Ok(out)
}

/// The groups of a Loki rule file (a ConfigMap key or a file), by name, as values; a text that
/// does not parse holds none.
pub fn loki_live_groups(ns: &str, text: &str) -> Vec<(ObjectRef, Value)> {
    let Ok(file) = rule_file::parse(text) else {
        return Vec::new();
    };
    file.groups
        .iter()
        .filter_map(|g| {
            Some((
                ObjectRef::LokiGroup {
                    namespace: ns.into(),
                    group: g.name.clone(),
                },
                serde_json::to_value(g).ok()?,
            ))
        })
        .collect()
}

/// A namespace's Loki rules without one group; `None` when nothing is left.
pub fn without_group(text: &str, group: &str) -> Result<Option<RuleFile>, String> {
    let mut file = rule_file::parse(text)?;
    file.groups.retain(|g| g.name != group);
    Ok((!file.groups.is_empty()).then_some(file))
}
