//! The Loki ruler: rule groups from a local directory (read-only, as Loki's `local` rule store)
//! or kept through the ruler API (as with an object-store backend), and their evaluation into
//! alerts that `/prometheus/api/v1/rules` and `/alerts` report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::eval::{self, NS_PER_MS};
use super::store::{Labels, Store, labels_string};
use app::domain::logql::{self, Expr, duration};
pub use app::model::{Rule, RuleFile, RuleGroup};

/// Loki's tenant when `auth_enabled: false`.
pub const TENANT: &str = "fake";
/// Loki's default `ruler.evaluation_interval`.
const DEFAULT_INTERVAL_MS: u64 = 60_000;

/// Where rule groups live.
#[derive(Debug, Clone)]
pub enum Storage {
    /// `ruler.storage.type: local`: files under `<dir>/<tenant>/`, read on every request.
    Local(PathBuf),
    /// An object-store backend: the ruler API writes.
    Api(BTreeMap<String, Vec<RuleGroup>>),
}

/// An error answer: status and plain-text body, as Loki sends them.
pub type TextError = (u16, String);

#[derive(Debug, Clone)]
struct ActiveAlert {
    labels: Labels,
    annotations: BTreeMap<String, String>,
    active_at: i128,
    value: f64,
    firing: bool,
}

#[derive(Debug, Clone, Default)]
struct RuleState {
    alerts: BTreeMap<String, ActiveAlert>,
    last_eval: Option<i128>,
    eval_ns: i128,
    error: Option<String>,
}

#[derive(Debug, Default)]
pub struct Evaluations {
    groups: BTreeMap<(String, String), i128>,
    rules: BTreeMap<(String, String, usize), RuleState>,
}

impl Storage {
    pub fn is_local(&self) -> bool {
        matches!(self, Storage::Local(_))
    }

    /// Every namespace's groups.
    pub fn all(&self) -> Result<BTreeMap<String, Vec<RuleGroup>>, TextError> {
        match self {
            Storage::Api(m) => Ok(m.clone()),
            Storage::Local(dir) => {
                let mut out = BTreeMap::new();
                let Ok(entries) = std::fs::read_dir(dir.join(TENANT)) else {
                    return Ok(out);
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| !n.starts_with('.'))
                    .collect();
                names.sort();
                for name in names {
                    out.insert(name.clone(), self.namespace(&name)?);
                }
                Ok(out)
            }
        }
    }

    pub fn namespace(&self, ns: &str) -> Result<Vec<RuleGroup>, TextError> {
        match self {
            Storage::Api(m) => m
                .get(ns)
                .cloned()
                .ok_or((404, "no rule groups found\n".into())),
            Storage::Local(dir) => {
                let path = dir.join(TENANT).join(ns);
                let p = path.display();
                let text = std::fs::read_to_string(&path).map_err(|_| {
                    (
                        400,
                        format!("error parsing {p}: {p}: open {p}: no such file or directory\n"),
                    )
                })?;
                let file: RuleFile = serde_norway::from_str(&text)
                    .map_err(|e| (400, format!("error parsing {p}: {e}\n")))?;
                for g in &file.groups {
                    validate(g).map_err(|e| (400, format!("error parsing {p}: {e}\n")))?;
                }
                Ok(file.groups)
            }
        }
    }

    pub fn group(&self, ns: &str, name: &str) -> Result<RuleGroup, TextError> {
        match self {
            Storage::Local(_) => {
                Err((400, "GetRuleGroup unsupported in rule local store\n".into()))
            }
            Storage::Api(m) => m
                .get(ns)
                .and_then(|gs| gs.iter().find(|g| g.name == name))
                .cloned()
                .ok_or((404, "group does not exist\n".into())),
        }
    }

    pub fn set_group(&mut self, ns: &str, body: &str) -> Result<(), TextError> {
        let Storage::Api(m) = self else {
            return Err((500, "SetRuleGroup unsupported in rule local store\n".into()));
        };
        let group: RuleGroup = serde_norway::from_str(body)
            .map_err(|_| (400, "unable to decoded rule group\n".to_string()))?;
        validate(&group).map_err(|e| (400, format!("{e}\n")))?;
        let groups = m.entry(ns.to_string()).or_default();
        match groups.iter_mut().find(|g| g.name == group.name) {
            Some(existing) => *existing = group,
            None => groups.push(group),
        }
        Ok(())
    }

    pub fn delete_group(&mut self, ns: &str, name: &str) -> Result<(), TextError> {
        let Storage::Api(m) = self else {
            return Err((
                500,
                "DeleteRuleGroup unsupported in rule local store\n".into(),
            ));
        };
        let groups = m
            .get_mut(ns)
            .ok_or((404, "group does not exist\n".to_string()))?;
        let before = groups.len();
        groups.retain(|g| g.name != name);
        if groups.len() == before {
            return Err((404, "group does not exist\n".into()));
        }
        if groups.is_empty() {
            m.remove(ns);
        }
        Ok(())
    }

    pub fn delete_namespace(&mut self, ns: &str) -> Result<(), TextError> {
        let Storage::Api(m) = self else {
            return Err((
                500,
                "DeleteNamespace unsupported in rule local store\n".into(),
            ));
        };
        m.remove(ns)
            .map(|_| ())
            .ok_or((404, "group namespace does not exist\n".into()))
    }
}

/// What the ruler checks before it accepts a group: names, durations and LogQL.
fn validate(g: &RuleGroup) -> Result<(), String> {
    if g.name.is_empty() {
        return Err("rule group name must not be empty".into());
    }
    if let Some(i) = &g.interval
        && duration::parse_ms(i).is_none()
    {
        return Err(format!("not a valid duration string: {i:?}"));
    }
    for r in &g.rules {
        let (kind, name) = match (&r.alert, &r.record) {
            (Some(a), None) => ("alert", a),
            (None, Some(rec)) => ("record", rec),
            _ => {
                return Err(format!(
                    "one of 'record' or 'alert' must be set in group '{}'",
                    g.name
                ));
            }
        };
        match logql::parse(&r.expr) {
            Ok(Expr::Metric(_)) => {}
            Ok(Expr::Log(_)) => {
                return Err(format!(
                    "invalid rule expression for {kind} '{name}' in group '{}': a metric query is required",
                    g.name
                ));
            }
            Err(e) => {
                return Err(format!(
                    "could not parse expression for {kind} '{name}' in group '{}': {e}",
                    g.name
                ));
            }
        }
    }
    Ok(())
}

fn interval_ms(g: &RuleGroup) -> u64 {
    g.interval
        .as_deref()
        .and_then(duration::parse_ms)
        .unwrap_or(DEFAULT_INTERVAL_MS)
}

impl Evaluations {
    /// Evaluates every group whose interval has passed (all of them when `force`).
    pub fn run(&mut self, storage: &Storage, store: &Store, now: i128, force: bool) {
        let Ok(all) = storage.all() else {
            return;
        };
        for (ns, groups) in all {
            for g in groups {
                let key = (ns.clone(), g.name.clone());
                let due = self
                    .groups
                    .get(&key)
                    .is_none_or(|last| now - last >= interval_ms(&g) as i128 * NS_PER_MS);
                if !(force || due) {
                    continue;
                }
                self.groups.insert(key, now);
                for (i, rule) in g.rules.iter().enumerate() {
                    let state = self
                        .rules
                        .entry((ns.clone(), g.name.clone(), i))
                        .or_default();
                    evaluate(rule, state, store, now);
                }
            }
        }
    }

    /// `/prometheus/api/v1/rules`, filtered by `type` (`alert` or `record`) and `file[]`,
    /// `rule_group[]`, `rule_name[]`.
    pub fn rules_json(&self, storage: &Storage, query: &[(String, String)]) -> Value {
        let wanted = |key: &str, v: &str| {
            let list: Vec<&str> = query
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect();
            list.is_empty() || list.contains(&v)
        };
        let kind = query
            .iter()
            .find(|(k, _)| k == "type")
            .map(|(_, v)| v.as_str());
        let mut groups = Vec::new();
        for (ns, gs) in storage.all().unwrap_or_default() {
            if !wanted("file[]", &ns) {
                continue;
            }
            for g in gs {
                if !wanted("rule_group[]", &g.name) {
                    continue;
                }
                let last = self.groups.get(&(ns.clone(), g.name.clone())).copied();
                let mut rules = Vec::new();
                for (i, r) in g.rules.iter().enumerate() {
                    let name = r
                        .alert
                        .as_deref()
                        .or(r.record.as_deref())
                        .unwrap_or_default();
                    let alerting = r.alert.is_some();
                    if !wanted("rule_name[]", name)
                        || (kind == Some("alert") && !alerting)
                        || (kind == Some("record") && alerting)
                    {
                        continue;
                    }
                    let state = self
                        .rules
                        .get(&(ns.clone(), g.name.clone(), i))
                        .cloned()
                        .unwrap_or_default();
                    rules.push(rule_json(r, &state));
                }
                if rules.is_empty() && kind.is_some() {
                    continue;
                }
                groups.push(json!({
                    "name": g.name,
                    "file": ns,
                    "rules": rules,
                    "interval": number(interval_ms(&g) as f64 / 1000.0),
                    "limit": 0,
                    "lastEvaluation": timestamp(last),
                    "evaluationTime": 0.0,
                }));
            }
        }
        envelope(json!({ "groups": groups }))
    }

    /// `/prometheus/api/v1/alerts`: every pending or firing alert.
    pub fn alerts_json(&self) -> Value {
        let alerts: Vec<Value> = self
            .rules
            .values()
            .flat_map(|s| s.alerts.values().map(alert_json))
            .collect();
        envelope(json!({ "alerts": alerts }))
    }
}

/// A JSON number that is an integer when the value is whole, as Go's encoder writes it.
pub fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

pub fn envelope(data: Value) -> Value {
    json!({ "status": "success", "data": data, "errorType": "", "error": "" })
}

fn evaluate(rule: &Rule, state: &mut RuleState, store: &Store, now: i128) {
    state.last_eval = Some(now);
    let result = match logql::parse(&rule.expr) {
        Ok(Expr::Metric(m)) => eval::instant(store, &m, now),
        Ok(Expr::Log(_)) => Err("a metric query is required".into()),
        Err(e) => Err(e.to_string()),
    };
    let samples = match result {
        Ok(eval::Value::Vector(v)) => v,
        Ok(eval::Value::Scalar(s)) => vec![eval::Sample {
            labels: Labels::new(),
            value: s,
        }],
        Err(e) => {
            state.error = Some(e);
            return;
        }
    };
    state.error = None;
    let Some(alert) = &rule.alert else {
        return;
    };
    let hold = rule
        .for_
        .as_deref()
        .and_then(duration::parse_ms)
        .unwrap_or(0) as i128
        * NS_PER_MS;
    let mut next = BTreeMap::new();
    for s in samples {
        let mut labels = s.labels.clone();
        labels.extend(rule.labels.clone());
        labels.insert("alertname".into(), alert.clone());
        let key = labels_string(&labels);
        let annotations = rule
            .annotations
            .iter()
            .map(|(k, t)| (k.clone(), expand(t, &s.labels, s.value)))
            .collect();
        let active_at = state.alerts.get(&key).map_or(now, |a| a.active_at);
        next.insert(
            key,
            ActiveAlert {
                labels,
                annotations,
                active_at,
                value: s.value,
                firing: now - active_at >= hold,
            },
        );
    }
    state.alerts = next;
}

/// The alert template forms Gemscope and KubeGems write: `{{ $labels.x }}`, `{{ $value }}` and
/// `{{ $value | printf "%.Nf" }}` / `{{ printf "%.Nf" $value }}`. Anything else is kept as written.
fn expand(template: &str, labels: &Labels, value: f64) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let action = after[..end].trim();
        let words: Vec<&str> = action.split_whitespace().collect();
        let precision = |fmt: &str| {
            fmt.trim_matches('"')
                .strip_prefix("%.")
                .and_then(|f| f.strip_suffix('f'))
                .and_then(|p| p.parse::<usize>().ok())
        };
        let rendered = match words.as_slice() {
            ["$value"] => Some(go_float(value)),
            [l] if l.starts_with("$labels.") => Some(
                labels
                    .get(&l["$labels.".len()..])
                    .cloned()
                    .unwrap_or_default(),
            ),
            ["$value", "|", "printf", fmt] | ["printf", fmt, "$value"] => {
                precision(fmt).map(|p| format!("{value:.p$}"))
            }
            _ => None,
        };
        match rendered {
            Some(r) => out.push_str(&r),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A float as Go's `%v` prints it.
fn go_float(v: f64) -> String {
    logql::format_number(v)
}

/// A float as Go's `strconv.FormatFloat(v, 'e', -1, 64)` prints it (`2e+00`).
fn go_exponent(v: f64) -> String {
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

pub fn timestamp(ns: Option<i128>) -> String {
    match ns.and_then(|n| time::OffsetDateTime::from_unix_timestamp_nanos(n).ok()) {
        Some(t) => t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        None => "0001-01-01T00:00:00Z".into(),
    }
}

fn alert_json(a: &ActiveAlert) -> Value {
    json!({
        "labels": a.labels,
        "annotations": a.annotations,
        "state": if a.firing { "firing" } else { "pending" },
        "activeAt": timestamp(Some(a.active_at)),
        "value": go_exponent(a.value),
    })
}

fn rule_json(r: &Rule, s: &RuleState) -> Value {
    let query = logql::parse(&r.expr)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| r.expr.clone());
    let health = match (&s.error, s.last_eval) {
        (Some(_), _) => "err",
        (None, Some(_)) => "ok",
        (None, None) => "unknown",
    };
    let mut v = json!({
        "name": r.alert.as_deref().or(r.record.as_deref()).unwrap_or_default(),
        "query": query,
        "labels": r.labels,
        "health": health,
        "lastError": s.error.clone().unwrap_or_default(),
        "lastEvaluation": timestamp(s.last_eval),
        "evaluationTime": s.eval_ns as f64 / 1e9,
    });
    if r.alert.is_some() {
        let firing = s.alerts.values().any(|a| a.firing);
        let state = if firing {
            "firing"
        } else if s.alerts.is_empty() {
            "inactive"
        } else {
            "pending"
        };
        v["state"] = json!(state);
        v["duration"] =
            number(r.for_.as_deref().and_then(duration::parse_ms).unwrap_or(0) as f64 / 1000.0);
        v["annotations"] = json!(r.annotations);
        v["alerts"] = Value::Array(s.alerts.values().map(alert_json).collect());
        v["type"] = json!("alerting");
    } else {
        v["type"] = json!("recording");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_templates_and_values() {
        let labels: Labels = [("namespace".to_string(), "demo".to_string())].into();
        assert_eq!(
            expand(
                r#"[namespace: {{ $labels.namespace }}] value: {{ $value | printf "%.1f" }} raw {{ $value }} {{ humanize $value }}"#,
                &labels,
                2.0
            ),
            "[namespace: demo] value: 2.0 raw 2 {{ humanize $value }}"
        );
        assert_eq!(go_exponent(2.0), "2e+00");
        assert_eq!(go_exponent(0.0125), "1.25e-02");
        assert_eq!(go_exponent(1e100), "1e+100");
    }
}
