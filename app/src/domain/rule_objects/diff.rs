//! The config check's comparison: each rule's objects as the database renders them against what
//! the cluster holds, and the objects no rule owns.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::{Desired, ObjectRef};

pub const OK: &str = "ok";
pub const WARNING: &str = "warning";
pub const ERROR: &str = "error";

/// One rule's result.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Finding {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub diff: String,
}

impl Finding {
    pub fn status(&self) -> &'static str {
        if !self.errors.is_empty() {
            ERROR
        } else if !self.warnings.is_empty() {
            WARNING
        } else {
            OK
        }
    }
}

/// An object labelled as Gemscope's that no rule owns, with its content (tokens hidden).
#[derive(Debug, Clone, PartialEq)]
pub struct OrphanFound {
    pub object: ObjectRef,
    pub content: String,
}

/// What a cluster holds of Gemscope's rule objects, each as `Desired::content` has it. The
/// objects prepare writes are not part of it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Live {
    pub objects: BTreeMap<ObjectRef, Value>,
}

/// One stored rule and what it renders to: `Err` when it does not render.
#[derive(Debug, Clone)]
pub struct RuleExpectation {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub objects: Result<Vec<Desired>, String>,
}

/// Compares every rule with the cluster and finds the orphans. A rule that does not render still
/// owns the objects named after it: they are not offered for deletion.
pub fn diff(
    rules: &[RuleExpectation],
    live: &Live,
) -> (Vec<(i64, String, Finding)>, Vec<OrphanFound>) {
    let mut expected = HashSet::new();
    let mut unrendered = HashSet::new();
    let mut findings = Vec::with_capacity(rules.len());
    for rule in rules {
        let mut f = Finding::default();
        match &rule.objects {
            Err(e) => {
                f.errors.push(format!("it does not render: {e}"));
                unrendered.insert((rule.namespace.clone(), rule.name.clone()));
            }
            Ok(objects) => {
                for d in objects {
                    compare(&mut f, d, live.objects.get(&d.object));
                    expected.insert(d.object.clone());
                }
            }
        }
        findings.push((rule.id, rule.name.clone(), f));
    }
    let orphans = live
        .objects
        .iter()
        .filter(|(o, _)| o.may_be_orphan() && !expected.contains(*o))
        .filter(|(o, _)| o.owner().is_none_or(|owner| !unrendered.contains(&owner)))
        .map(|(o, v)| OrphanFound {
            object: o.clone(),
            content: redact_tokens(&orphan_text(o, v)),
        })
        .collect();
    (findings, orphans)
}

fn orphan_text(o: &ObjectRef, v: &Value) -> String {
    match o {
        ObjectRef::PrometheusRule { .. } | ObjectRef::AlertmanagerConfig { .. } => yaml(&v["spec"]),
        _ => text_or_yaml(v),
    }
}

fn text_or_yaml(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => yaml(other),
    }
}

/// Compares one object with its live counterpart (`None`: missing). Diffs kept for the report
/// have tokens hidden; a Secret's difference is reported, never shown.
pub fn compare(f: &mut Finding, d: &Desired, live: Option<&Value>) {
    let what = &d.what;
    match &d.object {
        ObjectRef::ReceiverSecret { .. } => match live {
            None => f.errors.push(format!("{what} is missing in the cluster")),
            Some(v) if v["data"] != d.content["data"] => f.errors.push(format!(
                "{what} does not hold the receiver URLs the database renders"
            )),
            Some(_) => {}
        },
        ObjectRef::PrometheusRule { .. } | ObjectRef::AlertmanagerConfig { .. } => {
            let labels: BTreeMap<String, Value> = d.content["metadata"]["labels"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let expected =
                yaml(&json!({"metadata": {"labels": labels}, "spec": d.content["spec"]}));
            let got = live.map(|v| labelled(&labels, v));
            compare_text(f, what, &expected, got.as_deref());
        }
        ObjectRef::RuleFile { .. } => {
            let got = live.map(text_or_yaml);
            compare_text(f, what, &text_or_yaml(&d.content), got.as_deref());
        }
        ObjectRef::LokiGroup { .. } | ObjectRef::Routing { .. } => {
            let got = live.map(yaml);
            compare_text(f, what, &yaml(&d.content), got.as_deref());
        }
    }
}

/// A live object's labels (only the keys Gemscope sets) and spec.
fn labelled(labels: &BTreeMap<String, Value>, live: &Value) -> String {
    let kept: BTreeMap<&String, &Value> = labels
        .keys()
        .filter_map(|k| live["metadata"]["labels"].get(k).map(|v| (k, v)))
        .collect();
    yaml(&json!({"metadata": {"labels": kept}, "spec": live["spec"]}))
}

pub fn compare_text(f: &mut Finding, what: &str, expected: &str, live: Option<&str>) {
    match live {
        None => f.errors.push(format!("{what} is missing in the cluster")),
        Some(l) if l != expected => {
            f.errors.push(format!("{what} differs from the database"));
            f.diff.push_str(&redact_tokens(&unified(what, expected, l)));
        }
        Some(_) => {}
    }
}

/// Drops what a server may leave out of what it stores: nulls, empty strings, lists and maps
/// (the API server prunes them; KubeGems compared "empty" and "nil" as equal too).
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The normalised YAML of a value, as both sides are compared.
pub fn yaml(v: &Value) -> String {
    serde_norway::to_string(&normalize(v.clone())).unwrap_or_default()
}

/// A unified diff, the database's rendering first.
pub fn unified(what: &str, expected: &str, live: &str) -> String {
    similar::TextDiff::from_lines(expected, live)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{what} (Gemscope database)"),
            &format!("{what} (cluster)"),
        )
        .to_string()
}

/// Hides the tokens in Gemscope's own receiver URLs (`/api/notify/<channel>/<token>` and
/// `token=<token>`): the drift report is a read API, and secrets never come back from one.
pub fn redact_tokens(text: &str) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let notify = rest.find("/api/notify/").map(|i| (i, "/api/notify/"));
        let query = rest.find("token=").map(|i| (i, "token="));
        let next = match (notify, query) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let Some((at, marker)) = next else {
            out.push_str(rest);
            return out;
        };
        let mut head = at + marker.len();
        if marker == "/api/notify/" {
            // The channel id stays; the segment after it is the token.
            let id_len = rest[head..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - head);
            head += id_len;
            if rest[head..].starts_with('/') {
                head += 1;
            }
        }
        out.push_str(&rest[..head]);
        let token_len = rest[head..]
            .find(|c: char| !is_token(c))
            .unwrap_or(rest.len() - head);
        if token_len > 0 {
            out.push_str("***");
        }
        rest = &rest[head + token_len..];
    }
}
