//! Routing: the AlertmanagerConfig of a rule (its route, one child per receiver, history last,
//! the inhibit rule), and the labels the monitoring stack selects objects by.

use super::*;

pub(super) fn rule_matchers(target: &Target<'_>, name: &str) -> Vec<AmMatcher> {
    vec![
        AmMatcher::eq(LABEL_NAMESPACE, target.namespace),
        AmMatcher::eq(LABEL_ALERTNAME, name),
    ]
}

/// The AlertmanagerConfig spec (inventory §3.3): a route for the rule's alerts (limited to its
/// namespace unless global) with one continuing child route per receiver, history last, and the
/// critical-silences-error inhibit rule on the inhibit labels.
pub fn alertmanager_config(
    target: &Target<'_>,
    name: &str,
    inhibit_labels: &[String],
    to: &[RouteTo],
    grouping: &Grouping,
) -> AmConfigSpec {
    let scope: Vec<AmMatcher> = target
        .scoped_ns()
        .map(|ns| AmMatcher::eq("namespace", ns))
        .into_iter()
        .collect();
    let mut receivers = vec![AmReceiver {
        name: NULL_RECEIVER.into(),
        webhook_configs: vec![],
    }];
    receivers.extend(to.iter().map(|t| t.receiver.clone()));
    let inhibit_rules = if inhibit_labels.is_empty() {
        vec![]
    } else {
        let side = |severity: Severity| {
            let mut m = rule_matchers(target, name);
            m.push(AmMatcher::eq(LABEL_SEVERITY, severity.as_str()));
            m.extend(scope.iter().cloned());
            m
        };
        let mut equal = inhibit_labels.to_vec();
        equal.extend([LABEL_NAMESPACE.to_string(), LABEL_ALERTNAME.to_string()]);
        if target.scoped_ns().is_some() {
            equal.push("namespace".into());
        }
        vec![AmInhibitRule {
            source_match: side(Severity::Critical),
            target_match: side(Severity::Error),
            equal,
        }]
    };
    AmConfigSpec {
        route: Some(AmRoute {
            receiver: NULL_RECEIVER.into(),
            group_by: vec![LABEL_NAMESPACE.into(), LABEL_ALERTNAME.into()],
            group_wait: Some(grouping.wait.clone()),
            group_interval: Some(grouping.interval.clone()),
            matchers: scope.clone(),
            routes: to
                .iter()
                .map(|t| AmRoute {
                    receiver: t.receiver.name.clone(),
                    repeat_interval: Some(t.interval.trim().to_string()),
                    continue_: true,
                    matchers: rule_matchers(target, name),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        receivers,
        inhibit_rules,
    }
}

/// The receivers of a rule in route order: its channels, then the history receiver with the
/// first channel's interval (inventory §3.1 step 5).
pub fn routes_to(receivers: &[(AmReceiver, String)], history: AmReceiver) -> Vec<RouteTo> {
    let first = receivers
        .first()
        .map(|(_, i)| i.clone())
        .unwrap_or_else(|| "1h".into());
    let mut out: Vec<RouteTo> = receivers
        .iter()
        .map(|(r, i)| RouteTo {
            receiver: r.clone(),
            interval: i.clone(),
        })
        .collect();
    out.push(RouteTo {
        receiver: history,
        interval: first,
    });
    out
}

pub fn prometheus_rule_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
        (
            "prometheusrule.kubegems.io/type".to_string(),
            "monitor".to_string(),
        ),
        (
            "prometheusrule.kubegems.io/name".to_string(),
            name.to_string(),
        ),
    ])
}

/// The type label says what the rule is (KubeGems always wrote `monitor`, §12.18).
pub fn am_config_labels(kind: AlertType, name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
        (
            "alertmanagerconfig.kubegems.io/type".to_string(),
            kind.as_str().to_string(),
        ),
        (
            "alertmanagerconfig.kubegems.io/name".to_string(),
            name.to_string(),
        ),
    ])
}

/// Routes to the rule's channels and the history receiver with placeholders where the server
/// puts its address and tokens (shown in previews and on the detail page: tokens are secrets).
pub fn placeholder_routes(input: &AlertRuleInput) -> Vec<RouteTo> {
    let hook = |name: String, path: String| AmReceiver {
        name,
        webhook_configs: vec![AmWebhookConfig {
            url: format!("<gemscope>{path}"),
            url_secret: None,
            send_resolved: Some(true),
        }],
    };
    let receivers: Vec<(AmReceiver, String)> = input
        .receivers
        .iter()
        .map(|r| {
            (
                hook(
                    channel_receiver(r.channel_id),
                    format!("/api/notify/{}/<token>", r.channel_id),
                ),
                r.interval.clone(),
            )
        })
        .collect();
    let history = hook(
        HISTORY_RECEIVER.into(),
        "/api/alertmanager/webhook?cluster=<id>&namespace=<namespace>&token=<token>".into(),
    );
    routes_to(&receivers, history)
}
