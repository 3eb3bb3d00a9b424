//! Comparing what the database renders with what a cluster holds, and the report's text.

use super::*;

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

pub(super) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

pub(super) fn yaml(v: &Value) -> String {
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

/// Compares one object: `None` live means missing. Both sides are compared as they are; the diff
/// kept for the report has tokens hidden.
pub(super) fn compare(f: &mut Finding, what: &str, expected: &str, live: Option<&str>) {
    match live {
        None => f.errors.push(format!("{what} is missing in the cluster")),
        Some(l) if l != expected => {
            f.errors.push(format!("{what} differs from the database"));
            f.diff.push_str(&redact_tokens(&unified(what, expected, l)));
        }
        Some(_) => {}
    }
}

/// An object's labels (only the keys Gemscope sets) and spec, for comparing.
pub(super) fn labelled(labels: &BTreeMap<String, String>, live: &Value) -> String {
    let kept: BTreeMap<&String, &Value> = labels
        .keys()
        .filter_map(|k| live["metadata"]["labels"].get(k).map(|v| (k, v)))
        .collect();
    yaml(&json!({"metadata": {"labels": kept}, "spec": live["spec"]}))
}

pub(super) fn expected_labelled(labels: &BTreeMap<String, String>, spec: Value) -> String {
    yaml(&json!({"metadata": {"labels": labels}, "spec": spec}))
}

pub(super) fn group_of(file: &RuleFile, name: &str) -> Option<String> {
    file.groups
        .iter()
        .find(|g| g.name == name)
        .map(|g| yaml(&serde_json::to_value(g).unwrap_or(Value::Null)))
}

pub(super) fn group_yaml(g: &RuleGroup) -> String {
    yaml(&serde_json::to_value(g).unwrap_or(Value::Null))
}

/// The groups of a namespace's Loki rules that no logging rule owns.
pub(super) fn loki_orphans(
    ns: &str,
    file: &RuleFile,
    owned: &HashSet<(String, String)>,
    check: &mut DriftCheck,
) {
    for g in &file.groups {
        if !owned.contains(&(ns.to_string(), g.name.clone())) {
            check.orphans.push(OrphanFound {
                kind: KIND_LOKI_RULES,
                namespace: ns.to_string(),
                name: g.name.clone(),
                content: redact_tokens(&group_yaml(g)),
            });
        }
    }
}
