//! Golden files of every rendering (inventory §3.7's worked examples and each combination of
//! raw/generated, single/multi-level and global/namespaced) and table-driven input checks.
//! `GEMSCOPE_UPDATE_GOLDEN=1 cargo test -p app` rewrites the files; review the diff.

use super::*;
use crate::model::{
    AlertLevel, FilterOp, LabelMatcher, LogqlGenerator, PromqlGenerator, RuleReceiver,
};

fn template(expr: &str, show: &str, unit: &str, labels: &[&str]) -> TemplateRule {
    TemplateRule {
        id: 1,
        resource_id: 1,
        name: "t".into(),
        show_name: show.into(),
        description: String::new(),
        expr: expr.into(),
        unit: unit.into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        tenant_id: None,
    }
}

fn pod_cpu_template() -> TemplateRule {
    template(
        "gems_container_cpu_usage_percent",
        "Pod CPU Usage Ratio (%)",
        "percent-0-100",
        &["node", "namespace", "pod", "owner_kind", "workload"],
    )
}

fn load5_template() -> TemplateRule {
    template("gems_node_load5", "Node Load 5", "", &["node"])
}

fn m(op: FilterOp, name: &str, value: &str) -> LabelMatcher {
    LabelMatcher {
        op,
        name: name.into(),
        value: value.into(),
    }
}

fn level(op: &str, value: &str, severity: Severity) -> AlertLevel {
    AlertLevel {
        compare_op: op.into(),
        compare_value: value.into(),
        severity,
    }
}

fn raw_level(severity: Severity) -> AlertLevel {
    AlertLevel {
        severity,
        ..Default::default()
    }
}

fn receivers(list: &[(i64, &str)]) -> Vec<RuleReceiver> {
    list.iter()
        .map(|(id, i)| RuleReceiver {
            channel_id: *id,
            interval: i.to_string(),
        })
        .collect()
}

/// inventory §3.7, `pod-cpu-high`.
fn pod_cpu_high() -> AlertRuleInput {
    AlertRuleInput {
        name: "pod-cpu-high".into(),
        for_: "1m".into(),
        promql_generator: Some(PromqlGenerator {
            key: crate::model::TemplateKey::new("containers", "container", "cpuUsagePercent"),
            unit: "percent-0-100".into(),
            label_matchers: vec![m(FilterOp::Re, "pod", "web-.*")],
        }),
        alert_levels: vec![
            level(">", "80", Severity::Error),
            level(">", "90", Severity::Critical),
        ],
        inhibit_labels: vec!["pod".into()],
        receivers: receivers(&[(2, "1h")]),
        is_open: true,
        ..Default::default()
    }
}

/// inventory §3.7, `err-log`.
fn err_log() -> AlertRuleInput {
    AlertRuleInput {
        name: "err-log".into(),
        alert_type: AlertType::Logging,
        for_: "1m".into(),
        logql_generator: Some(LogqlGenerator {
            duration: "5m".into(),
            match_: "error".into(),
            label_matchers: vec![m(FilterOp::Re, "pod", "app-.*")],
        }),
        alert_levels: vec![level(">", "10", Severity::Error)],
        receivers: receivers(&[(1, "1h")]),
        is_open: true,
        ..Default::default()
    }
}

/// inventory §3.7's system example, `host-high-load5`.
fn host_high_load5() -> AlertRuleInput {
    AlertRuleInput {
        name: "host-high-load5".into(),
        for_: "1m".into(),
        promql_generator: Some(PromqlGenerator {
            key: crate::model::TemplateKey::new("system", "node", "load5"),
            ..Default::default()
        }),
        alert_levels: vec![
            level(">", "gems_node_cpu_total_cores", Severity::Error),
            level(">", "1.5 * gems_node_cpu_total_cores", Severity::Critical),
        ],
        inhibit_labels: vec!["node".into()],
        receivers: receivers(&[(1, "24h")]),
        is_open: true,
        ..Default::default()
    }
}

fn raw(name: &str, kind: AlertType, expr: &str) -> AlertRuleInput {
    AlertRuleInput {
        name: name.into(),
        alert_type: kind,
        expr: expr.into(),
        for_: "5m".into(),
        alert_levels: vec![raw_level(Severity::Critical)],
        receivers: receivers(&[(3, "12h"), (2, "2h")]),
        is_open: true,
        ..Default::default()
    }
}

fn ns(namespace: &str) -> Target<'_> {
    Target {
        namespace,
        global: false,
    }
}

fn global() -> Target<'static> {
    Target {
        namespace: "kubegems-monitoring",
        global: true,
    }
}

fn hook(name: String, url: String) -> AmReceiver {
    AmReceiver {
        name,
        webhook_configs: vec![AmWebhookConfig {
            url,
            url_secret: None,
            send_resolved: Some(true),
        }],
    }
}

/// The whole output for one rule, as the server would write it for cluster 7.
fn document(input: &AlertRuleInput, target: &Target<'_>, t: Option<&TemplateRule>) -> String {
    let rendered = render(input, target, t).unwrap();
    let chans: Vec<(AmReceiver, String)> = input
        .receivers
        .iter()
        .map(|r| {
            (
                hook(
                    channel_receiver(r.channel_id),
                    format!("https://gemscope.example/api/notify/{}/TOKEN", r.channel_id),
                ),
                r.interval.clone(),
            )
        })
        .collect();
    let history = hook(
        HISTORY_RECEIVER.into(),
        "https://gemscope.example/api/alertmanager/webhook?cluster=7&token=TOKEN".into(),
    );
    let am = alertmanager_config(
        target,
        &input.name,
        &input.inhibit_labels,
        &routes_to(&chans, history),
        &Grouping::default(),
    );
    let o = objects(target, input, &rendered, &am).unwrap();
    let rule_doc = if o.prometheus_rule.is_empty() {
        format!("# Loki rules, key {:?}\n{}", target.namespace, o.loki_rules)
    } else {
        o.prometheus_rule
    };
    format!(
        "# stored expr: {}\n{rule_doc}---\n{}",
        rendered.expr, o.alertmanager_config
    )
}

fn golden(name: &str, got: &str) {
    crate::domain::golden::check("src/domain/alert_rules", name, got);
}

#[test]
fn golden_renderings() {
    let cpu = pod_cpu_template();
    let load = load5_template();
    let mut cpu_single = pod_cpu_high();
    cpu_single.alert_levels.truncate(1);
    cpu_single.inhibit_labels.clear();
    let mut load_single = host_high_load5();
    load_single.alert_levels.truncate(1);
    load_single.inhibit_labels.clear();
    let mut err_global = err_log();
    err_global.name = "err-log-all".into();
    let cases: Vec<(&str, AlertRuleInput, Target<'_>, Option<&TemplateRule>)> = vec![
        ("pod-cpu-high", pod_cpu_high(), ns("demo"), Some(&cpu)),
        ("err-log", err_log(), ns("demo"), None),
        ("host-high-load5", host_high_load5(), global(), Some(&load)),
        (
            "generated-single-namespaced",
            cpu_single,
            ns("demo"),
            Some(&cpu),
        ),
        (
            "generated-single-global",
            load_single,
            global(),
            Some(&load),
        ),
        (
            "raw-single-namespaced",
            raw(
                "memory-gone",
                AlertType::Monitor,
                r#"count(gems_container_memory_usage_bytes{namespace="demo"}) by (node) == 0"#,
            ),
            ns("demo"),
            None,
        ),
        (
            "raw-single-global",
            raw(
                "node-no-container-metrics",
                AlertType::Monitor,
                "count(gems_container_memory_usage_bytes)by(node) == 0",
            ),
            global(),
            None,
        ),
        (
            "logging-raw-namespaced",
            raw(
                "panics",
                AlertType::Logging,
                r#"sum(count_over_time({namespace="demo", app="api"} |= "panic" [1m])) > 0"#,
            ),
            ns("demo"),
            None,
        ),
        ("logging-generated-global", err_global, global(), None),
    ];
    for (name, input, target, t) in cases {
        golden(name, &document(&input, &target, t));
    }
}

/// The parts of §3.7, so a golden-file update cannot drift from the example. Unlike KubeGems the
/// level expressions are the re-serialised parsed expression (what was checked is what runs), so
/// spacing differs from the inventory and an expression threshold is parenthesised.
#[test]
fn worked_examples_match_the_inventory() {
    let cpu = pod_cpu_template();
    let r = render(&pod_cpu_high(), &ns("demo"), Some(&cpu)).unwrap();
    assert_eq!(
        r.expr,
        r#"gems_container_cpu_usage_percent{namespace="demo",pod=~"web-.*"}"#
    );
    assert_eq!(
        r.levels[0].expr,
        r#"gems_container_cpu_usage_percent{namespace="demo",pod=~"web-.*"} > 80"#
    );
    assert_eq!(
        r.levels[1].expr,
        r#"gems_container_cpu_usage_percent{namespace="demo",pod=~"web-.*"} > 90"#
    );
    assert_eq!(
        r.message,
        r#"pod-cpu-high: [cluster:{{ $externalLabels.cluster }}] [node:{{ $labels.node }}] [namespace:{{ $labels.namespace }}] [pod:{{ $labels.pod }}] [owner_kind:{{ $labels.owner_kind }}] [workload:{{ $labels.workload }}] Pod CPU Usage Ratio (%) trigger alert, value: {{ $value | printf "%.1f" }}%"#
    );
    let r = render(&err_log(), &ns("demo"), None).unwrap();
    assert_eq!(
        r.levels[0].expr,
        r#"(sum without (fluentd_thread)(count_over_time({pod=~"app-.*", namespace="demo"} |~ "error"[5m])) > 10)"#
    );
    let load = load5_template();
    let r = render(&host_high_load5(), &global(), Some(&load)).unwrap();
    assert_eq!(
        r.levels[0].expr,
        "gems_node_load5 > (gems_node_cpu_total_cores)"
    );
    assert_eq!(
        r.levels[1].expr,
        "gems_node_load5 > (1.5 * gems_node_cpu_total_cores)"
    );
}

#[test]
fn rendering_is_byte_stable() {
    let cpu = pod_cpu_template();
    let a = document(&pod_cpu_high(), &ns("demo"), Some(&cpu));
    let b = document(&pod_cpu_high(), &ns("demo"), Some(&cpu));
    assert_eq!(a, b);
    let mut reordered = pod_cpu_high();
    if let Some(g) = reordered.promql_generator.as_mut() {
        g.label_matchers.push(m(FilterOp::Re, "pod", "web-.*"));
    }
    assert_eq!(
        render(&reordered, &ns("demo"), Some(&cpu)).unwrap().expr,
        render(&pod_cpu_high(), &ns("demo"), Some(&cpu))
            .unwrap()
            .expr,
        "a repeated matcher is dropped"
    );
}

#[test]
fn bad_input_names_the_field() {
    let cpu = pod_cpu_template();
    type Edit = fn(&mut AlertRuleInput);
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("bad name", |r| r.name = "Pod_CPU".into(), "name"),
        ("bad for", |r| r.for_ = "soon".into(), "for"),
        ("no levels", |r| r.alert_levels.clear(), "alertLevels"),
        (
            "same severity twice",
            |r| r.alert_levels[1].severity = Severity::Error,
            "alertLevels",
        ),
        (
            "unknown operator",
            |r| r.alert_levels[0].compare_op = "=>".into(),
            "alertLevels[0].compareOp",
        ),
        (
            "threshold not PromQL",
            |r| r.alert_levels[1].compare_value = "90 %".into(),
            "alertLevels[1].compareValue",
        ),
        (
            "multi-level without inhibit labels",
            |r| r.inhibit_labels.clear(),
            "inhibitLabels",
        ),
        (
            "bad inhibit label",
            |r| r.inhibit_labels = vec!["pod-name".into()],
            "inhibitLabels",
        ),
        ("no receivers", |r| r.receivers.clear(), "receivers"),
        (
            "receiver twice",
            |r| r.receivers = receivers(&[(2, "1h"), (2, "2h")]),
            "receivers",
        ),
        (
            "bad interval",
            |r| r.receivers[0].interval = "hourly".into(),
            "receivers[0].interval",
        ),
        (
            "pipe in an exact matcher",
            |r| {
                r.promql_generator.as_mut().unwrap().label_matchers =
                    vec![m(FilterOp::Eq, "pod", "a|b")]
            },
            "promqlGenerator.labelMatchers",
        ),
        (
            "namespace matcher on a namespaced rule",
            |r| {
                r.promql_generator.as_mut().unwrap().label_matchers =
                    vec![m(FilterOp::Eq, "namespace", "other")]
            },
            "promqlGenerator.labelMatchers",
        ),
        (
            "bad regex matcher",
            |r| {
                r.promql_generator.as_mut().unwrap().label_matchers =
                    vec![m(FilterOp::Re, "pod", "web-(")]
            },
            "promqlGenerator",
        ),
        (
            "raw with two levels",
            |r| {
                r.promql_generator = None;
                r.expr = r#"up{namespace="demo"} == 0"#.into();
            },
            "alertLevels",
        ),
    ];
    for (what, edit, field) in cases {
        let mut input = pod_cpu_high();
        edit(&mut input);
        let err = render(&input, &ns("demo"), Some(&cpu)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{what}: {}", err.message);
    }
}

#[test]
fn raw_expressions_are_parsed_and_kept_in_their_namespace() {
    let cases: Vec<(AlertType, &str, bool, Option<&str>)> = vec![
        (
            AlertType::Monitor,
            r#"up{namespace="demo"} == 0"#,
            false,
            None,
        ),
        (AlertType::Monitor, "up == 0", false, Some("expr")),
        (AlertType::Monitor, "up == 0", true, None),
        (
            AlertType::Monitor,
            r#"up{namespace=~"demo|prod"} == 0"#,
            false,
            Some("expr"),
        ),
        (
            AlertType::Monitor,
            r#"up{namespace="demo"} / on() group_left sum(up) > 1"#,
            false,
            Some("expr"),
        ),
        (
            AlertType::Monitor,
            r#"up{namespace="demo"} == "#,
            false,
            Some("expr"),
        ),
        (AlertType::Monitor, "", false, Some("expr")),
        (
            AlertType::Logging,
            r#"count_over_time({namespace="demo"} |= "x" [1m]) > 0"#,
            false,
            None,
        ),
        (
            AlertType::Logging,
            r#"{namespace="demo"} |= "x""#,
            false,
            Some("expr"),
        ),
        (
            AlertType::Logging,
            r#"count_over_time({app="x"} |= "x" [1m]) > 0"#,
            false,
            Some("expr"),
        ),
        (
            AlertType::Logging,
            r#"count_over_time({namespace="demo"} |= "x" [1m] > 0"#,
            false,
            Some("expr"),
        ),
        (
            AlertType::Logging,
            r#"count_over_time({app="x"} |= "x" [1m]) > 0"#,
            true,
            None,
        ),
    ];
    for (kind, expr, is_global, want) in cases {
        let input = raw("r", kind, expr);
        let target = if is_global { global() } else { ns("demo") };
        let got = render(&input, &target, None).err().and_then(|e| e.field);
        assert_eq!(got.as_deref(), want, "{expr}");
    }
}

#[test]
fn log_generator_checks() {
    type Edit = fn(&mut LogqlGenerator);
    let cases: Vec<(Edit, &str)> = vec![
        (|g| g.duration = "11m".into(), "logqlGenerator.duration"),
        (|g| g.duration = "five".into(), "logqlGenerator.duration"),
        (|g| g.match_ = "err(".into(), "logqlGenerator.match"),
        (|g| g.match_.clear(), "logqlGenerator.match"),
        (|g| g.label_matchers.clear(), "logqlGenerator.labelMatchers"),
    ];
    for (edit, field) in cases {
        let mut input = err_log();
        edit(input.logql_generator.as_mut().unwrap());
        let err = render(&input, &ns("demo"), None).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{}", err.message);
    }
    let mut input = err_log();
    input.logql_generator.as_mut().unwrap().match_ = "say `hi`".into();
    let r = render(&input, &ns("demo"), None).unwrap();
    assert!(r.expr.contains(r#"|~ "say `hi`""#), "{}", r.expr);
}

#[test]
fn a_template_is_needed_for_a_generator() {
    let err = render(&pod_cpu_high(), &ns("demo"), None).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("promqlGenerator"));
    assert!(err.message.contains("containers.container.cpuUsagePercent"));
}

#[test]
fn messages() {
    let mut input = err_log();
    assert_eq!(
        message(&input, None),
        r#"err-log: [cluster:{{ $labels.cluster }}] [namespace:{{ $labels.namespace }}] [pod:{{ $labels.pod }}] log lines matching [error] in the last 5m: {{ $value | printf "%.1f" }}"#
    );
    input.message = "custom {{ $value }}".into();
    assert_eq!(message(&input, None), "custom {{ $value }}");
    let r = raw("r", AlertType::Monitor, "up == 0");
    assert_eq!(
        message(&r, None),
        r#"r: [cluster:{{ $externalLabels.cluster }}] trigger alert, value: {{ $value | printf "%.1f" }}"#
    );
}

#[test]
fn the_namespace_placeholder_is_replaced() {
    let mut input = raw(
        "x",
        AlertType::Monitor,
        r#"up{namespace="__namespace__"} == 0"#,
    );
    substitute_namespace(&mut input, "shop");
    assert_eq!(input.expr, r#"up{namespace="shop"} == 0"#);
    assert!(render(&input, &ns("shop"), None).is_ok());
}

#[test]
fn preview_shows_placeholders_for_server_secrets() {
    let cpu = pod_cpu_template();
    let p = preview(
        &pod_cpu_high(),
        &ns("demo"),
        Some(&cpu),
        &Grouping::default(),
    )
    .unwrap();
    assert_eq!(p.levels.len(), 2);
    assert!(
        p.objects
            .alertmanager_config
            .contains("<gemscope>/api/notify/2/<token>")
    );
    assert!(p.objects.alertmanager_config.contains(HISTORY_RECEIVER));
    assert!(p.objects.prometheus_rule.contains("kind: PrometheusRule"));
    assert!(p.objects.loki_rules.is_empty());
}
