//! Rule state from the rules API of Prometheus or the Loki ruler (inventory §5.4): for each
//! alerting rule labelled `gems_namespace` and `gems_alertname`, the highest state of its levels
//! and the alerts. A cluster that cannot be asked gives an error, which callers show as unknown.

use std::collections::HashMap;

use app::domain::alert_rules::{LABEL_ALERTNAME, LABEL_NAMESPACE};
use app::model::{LiveAlert, RuleState};
use serde_json::Value;

/// (namespace, name) → state and alerts.
pub type States = HashMap<(String, String), (RuleState, Vec<LiveAlert>)>;

fn state_of(s: &str) -> RuleState {
    match s {
        "firing" => RuleState::Firing,
        "pending" => RuleState::Pending,
        _ => RuleState::Inactive,
    }
}

/// Reads the `data` of a `/api/v1/rules` answer (Prometheus and the Loki ruler answer the same
/// shape; their clients ask).
pub fn parse(data: &Value) -> States {
    let mut out: States = HashMap::new();
    let groups = data["groups"].as_array().into_iter().flatten();
    for rule in groups.flat_map(|g| g["rules"].as_array().into_iter().flatten()) {
        if rule["type"] != "alerting" {
            continue;
        }
        let labels = &rule["labels"];
        let (Some(ns), Some(name)) = (
            labels[LABEL_NAMESPACE].as_str(),
            labels[LABEL_ALERTNAME].as_str(),
        ) else {
            continue;
        };
        let entry = out
            .entry((ns.to_string(), name.to_string()))
            .or_insert((RuleState::Inactive, Vec::new()));
        entry.0 = entry
            .0
            .max(state_of(rule["state"].as_str().unwrap_or_default()));
        for a in rule["alerts"].as_array().into_iter().flatten() {
            entry.1.push(LiveAlert {
                labels: serde_json::from_value(a["labels"].clone()).unwrap_or_default(),
                state: a["state"].as_str().unwrap_or_default().to_string(),
                active_at: a["activeAt"].as_str().unwrap_or_default().to_string(),
                value: a["value"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    for (_, alerts) in out.values_mut() {
        alerts.sort_by(|a, b| b.active_at.cmp(&a.active_at));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_state_of_the_levels_wins_and_foreign_rules_are_ignored() {
        let body = serde_json::json!({"status": "success", "data": {"groups": [
            {"name": "cpu", "rules": [
                {"type": "alerting", "name": "cpu", "state": "pending",
                 "labels": {"gems_namespace": "demo", "gems_alertname": "cpu", "severity": "error"},
                 "alerts": [{"labels": {"pod": "a"}, "state": "pending", "activeAt": "2026-01-01T00:00:00Z", "value": "81"}]},
                {"type": "alerting", "name": "cpu", "state": "firing",
                 "labels": {"gems_namespace": "demo", "gems_alertname": "cpu", "severity": "critical"},
                 "alerts": [{"labels": {"pod": "b"}, "state": "firing", "activeAt": "2026-01-02T00:00:00Z", "value": "95"}]},
                {"type": "alerting", "name": "theirs", "state": "firing", "labels": {}},
                {"type": "recording", "name": "r", "labels": {"gems_namespace": "demo", "gems_alertname": "r"}}
            ]},
            {"name": "quiet", "rules": [
                {"type": "alerting", "name": "quiet", "state": "inactive",
                 "labels": {"gems_namespace": "demo", "gems_alertname": "quiet"}}
            ]}
        ]}});
        let s = parse(&body["data"]);
        assert_eq!(s.len(), 2);
        let (state, alerts) = &s[&("demo".into(), "cpu".into())];
        assert_eq!(*state, RuleState::Firing);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].labels["pod"], "b", "newest first");
        assert_eq!(s[&("demo".into(), "quiet".into())].0, RuleState::Inactive);
    }
}
