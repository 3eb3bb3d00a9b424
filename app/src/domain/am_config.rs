//! Builds alertmanager.yml from a global AlertmanagerConfig spec plus namespaced ones, the way
//! prometheus-operator merges them with `alertmanagerConfigMatcherStrategy: None` (KubeGems'
//! setting): each namespaced config becomes a child route of the root that always continues, and
//! its receivers are renamed `<namespace>/<name>/<receiver>` so configs cannot collide. No
//! namespace matcher is injected: Gemscope's configs carry their own, except the monitoring
//! namespace's, which route alerts of every namespace (inventory §3.3). Used by the standalone
//! backend, where there is no operator; output is deterministic.

use std::collections::HashSet;

use serde::Serialize;

use crate::domain::alert_rules::{LABEL_ALERTNAME, LABEL_NAMESPACE};
use crate::model::{AmConfigSpec, AmInhibitRule, AmMatcher, AmRoute, NamespacedAmConfig};

pub const MANAGED_HEADER: &str = "# Managed by Gemscope. Changes made here are overwritten.\n";

#[derive(Serialize)]
struct File {
    route: Route,
    receivers: Vec<Receiver>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inhibit_rules: Vec<Inhibit>,
}

#[derive(Serialize)]
struct Route {
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_wait: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_interval: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    matchers: Vec<String>,
    #[serde(rename = "continue", skip_serializing_if = "std::ops::Not::not")]
    continue_: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<Route>,
}

#[derive(Serialize)]
struct Receiver {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    webhook_configs: Vec<Webhook>,
}

#[derive(Serialize)]
struct Webhook {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_resolved: Option<bool>,
}

#[derive(Serialize)]
struct Inhibit {
    source_matchers: Vec<String>,
    target_matchers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    equal: Vec<String>,
}

/// `name="value"` in Alertmanager's matcher syntax, the value quoted and escaped.
pub fn matcher_string(m: &AmMatcher) -> Result<String, String> {
    let op = m.match_type.as_deref().unwrap_or("=");
    if !matches!(op, "=" | "!=" | "=~" | "!~") {
        return Err(format!("matcher {}: unknown match type {op:?}", m.name));
    }
    let valid_name = !m.name.is_empty()
        && m.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !m.name.starts_with(|c: char| c.is_ascii_digit());
    if !valid_name {
        return Err(format!("matcher name {:?} is not a label name", m.name));
    }
    let escaped = m
        .value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    Ok(format!("{}{op}\"{escaped}\"", m.name))
}

fn matchers(list: &[AmMatcher]) -> Result<Vec<String>, String> {
    list.iter().map(matcher_string).collect()
}

fn rename(prefix: &str, receiver: &str) -> String {
    if receiver.is_empty() {
        String::new()
    } else {
        format!("{prefix}{receiver}")
    }
}

fn route(r: &AmRoute, prefix: &str, force_continue: bool) -> Result<Route, String> {
    Ok(Route {
        receiver: Some(rename(prefix, &r.receiver)).filter(|s| !s.is_empty()),
        group_by: r.group_by.clone(),
        group_wait: r.group_wait.clone(),
        group_interval: r.group_interval.clone(),
        repeat_interval: r.repeat_interval.clone(),
        matchers: matchers(&r.matchers)?,
        continue_: force_continue || r.continue_,
        routes: r
            .routes
            .iter()
            .map(|c| route(c, prefix, false))
            .collect::<Result<_, _>>()?,
    })
}

fn receivers(spec: &AmConfigSpec, prefix: &str) -> Vec<Receiver> {
    spec.receivers
        .iter()
        .map(|r| Receiver {
            name: rename(prefix, &r.name),
            webhook_configs: r
                .webhook_configs
                .iter()
                .map(|w| Webhook {
                    url: w.url.clone(),
                    send_resolved: w.send_resolved,
                })
                .collect(),
        })
        .collect()
}

fn inhibits(rules: &[AmInhibitRule]) -> Result<Vec<Inhibit>, String> {
    rules
        .iter()
        .map(|r| {
            Ok(Inhibit {
                source_matchers: matchers(&r.source_match)?,
                target_matchers: matchers(&r.target_match)?,
                equal: r.equal.clone(),
            })
        })
        .collect()
}

/// Every receiver a route names must exist, or Alertmanager refuses the whole file.
fn check_receivers(route: &Route, names: &HashSet<&str>) -> Result<(), String> {
    if let Some(r) = &route.receiver
        && !names.contains(r.as_str())
    {
        return Err(format!("route uses receiver {r:?}, which is not defined"));
    }
    route
        .routes
        .iter()
        .try_for_each(|c| check_receivers(c, names))
}

pub fn merge(global: &AmConfigSpec, namespaced: &[NamespacedAmConfig]) -> Result<String, String> {
    let root_spec = global.route.clone().unwrap_or_default();
    if root_spec.receiver.is_empty() {
        return Err("the global route needs a receiver".into());
    }
    let mut root = route(&root_spec, "", false)?;
    let mut all_receivers = receivers(global, "");
    let mut all_inhibits = inhibits(&global.inhibit_rules)?;
    let mut sorted: Vec<&NamespacedAmConfig> = namespaced.iter().collect();
    sorted.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    for cfg in sorted {
        let prefix = format!("{}/{}/", cfg.namespace, cfg.name);
        if let Some(r) = &cfg.spec.route {
            root.routes.push(route(r, &prefix, true)?);
        }
        all_receivers.extend(receivers(&cfg.spec, &prefix));
        all_inhibits.extend(inhibits(&cfg.spec.inhibit_rules)?);
    }
    let mut seen = HashSet::new();
    for r in &all_receivers {
        if !seen.insert(r.name.as_str()) {
            return Err(format!("receiver {:?} is defined twice", r.name));
        }
    }
    check_receivers(&root, &seen)?;
    let file = File {
        route: root,
        receivers: all_receivers,
        inhibit_rules: all_inhibits,
    };
    let body =
        serde_norway::to_string(&file).map_err(|e| format!("rendering alertmanager.yml: {e}"))?;
    Ok(format!("{MANAGED_HEADER}{body}"))
}

/// Gemscope's global config: alerts that no namespaced route takes go nowhere, grouped per
/// Gemscope alert rule.
pub fn global_spec() -> AmConfigSpec {
    AmConfigSpec {
        route: Some(AmRoute {
            receiver: "null".into(),
            group_by: vec![LABEL_NAMESPACE.into(), LABEL_ALERTNAME.into()],
            group_wait: Some("30s".into()),
            group_interval: Some("30s".into()),
            ..Default::default()
        }),
        receivers: vec![crate::model::AmReceiver {
            name: "null".into(),
            webhook_configs: vec![],
        }],
        inhibit_rules: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AmReceiver, AmWebhookConfig};

    fn team_config() -> NamespacedAmConfig {
        NamespacedAmConfig {
            namespace: "demo".into(),
            name: "cpu-high".into(),
            spec: AmConfigSpec {
                route: Some(AmRoute {
                    receiver: "null".into(),
                    group_by: vec!["gems_namespace".into(), "gems_alertname".into()],
                    routes: vec![AmRoute {
                        receiver: "hook".into(),
                        repeat_interval: Some("1h".into()),
                        continue_: true,
                        matchers: vec![AmMatcher::eq("gems_alertname", "cpu-high")],
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                receivers: vec![
                    AmReceiver {
                        name: "null".into(),
                        webhook_configs: vec![],
                    },
                    AmReceiver {
                        name: "hook".into(),
                        webhook_configs: vec![AmWebhookConfig {
                            url: "http://127.0.0.1:9/hook".into(),
                            url_secret: None,
                            send_resolved: Some(true),
                        }],
                    },
                ],
                inhibit_rules: vec![AmInhibitRule {
                    source_match: vec![AmMatcher::eq("severity", "critical")],
                    target_match: vec![AmMatcher::eq("severity", "error")],
                    equal: vec!["gems_alertname".into()],
                }],
            },
        }
    }

    #[test]
    fn golden_merge() {
        let want = r#"# Managed by Gemscope. Changes made here are overwritten.
route:
  receiver: 'null'
  group_by:
  - gems_namespace
  - gems_alertname
  group_wait: 30s
  group_interval: 30s
  routes:
  - receiver: demo/cpu-high/null
    group_by:
    - gems_namespace
    - gems_alertname
    continue: true
    routes:
    - receiver: demo/cpu-high/hook
      repeat_interval: 1h
      matchers:
      - gems_alertname="cpu-high"
      continue: true
receivers:
- name: 'null'
- name: demo/cpu-high/null
- name: demo/cpu-high/hook
  webhook_configs:
  - url: http://127.0.0.1:9/hook
    send_resolved: true
inhibit_rules:
- source_matchers:
  - severity="critical"
  target_matchers:
  - severity="error"
  equal:
  - gems_alertname
"#;
        assert_eq!(merge(&global_spec(), &[team_config()]).unwrap(), want);
    }

    #[test]
    fn order_of_input_does_not_change_output() {
        let mut other = team_config();
        other.namespace = "alpha".into();
        let a = merge(&global_spec(), &[team_config(), other.clone()]).unwrap();
        let b = merge(&global_spec(), &[other, team_config()]).unwrap();
        assert_eq!(a, b);
        assert!(a.find("alpha/cpu-high/null").unwrap() < a.find("demo/cpu-high/null").unwrap());
    }

    #[test]
    fn undefined_receivers_and_bad_matchers_are_refused() {
        let mut cfg = team_config();
        cfg.spec.receivers.retain(|r| r.name != "hook");
        assert!(
            merge(&global_spec(), &[cfg])
                .unwrap_err()
                .contains("demo/cpu-high/hook")
        );
        let mut cfg = team_config();
        cfg.spec.route.as_mut().unwrap().matchers.push(AmMatcher {
            name: "bad-name".into(),
            value: "x".into(),
            match_type: None,
        });
        assert!(
            merge(&global_spec(), &[cfg])
                .unwrap_err()
                .contains("bad-name")
        );
    }

    #[test]
    fn matcher_values_are_escaped() {
        let m = AmMatcher {
            name: "msg".into(),
            value: "say \"hi\"\\".into(),
            match_type: Some("=~".into()),
        };
        assert_eq!(matcher_string(&m).unwrap(), r#"msg=~"say \"hi\"\\""#);
        let bad = AmMatcher {
            name: "a".into(),
            value: "b".into(),
            match_type: Some("~".into()),
        };
        assert!(matcher_string(&bad).is_err());
    }
}
