//! Narrowing PromQL to what a caller may see and to the label filters they chose. The parsed
//! expression is rewritten, never the text: every vector selector, wherever it sits (inside
//! functions, aggregations, binary operations, subqueries), gets the matchers (inventory §2.5).

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{self, Expr, VectorSelector};

use crate::error::{ApiError, Code};
use crate::model::{FilterOp, LabelFilter};

const NAMESPACE: &str = "namespace";

/// Raw PromQL limited to `namespace` (when given) and narrowed by `filters`.
///
/// A selector that already names the environment's namespace keeps it; one that names any other
/// namespace is refused rather than silently rewritten, so the user sees why their query changed.
pub fn scope_raw(
    expr: &str,
    namespace: Option<&str>,
    filters: &[LabelFilter],
) -> Result<String, ApiError> {
    let mut e = parse("expr", expr)?;
    if let Some(ns) = namespace {
        for_each_selector(&mut e, &mut |v| own_namespace_only(v, ns))?;
    }
    narrow(&mut e, namespace, filters)?;
    Ok(e.to_string())
}

/// A template expression for a chart: `sum by (<labels>) (<expr narrowed>)`.
pub fn expand_template(
    expr: &str,
    labels: &[String],
    namespace: Option<&str>,
    filters: &[LabelFilter],
) -> Result<String, ApiError> {
    let mut e = parse("template", expr)?;
    narrow(&mut e, namespace, filters)?;
    let text = if labels.is_empty() {
        format!("sum({e})")
    } else {
        format!("sum by ({}) ({e})", labels.join(", "))
    };
    parse("template", &text)
        .map(|e| e.to_string())
        .map_err(|_| ApiError::invalid("template", Code::NotVector))
}

/// A template expression as an alert rule evaluates it: narrowed like a chart query, with every
/// selector's matchers in name order so equal rules render to equal bytes (inventory §3.1).
pub fn alert_expr(
    expr: &str,
    namespace: Option<&str>,
    filters: &[LabelFilter],
) -> Result<String, ApiError> {
    let mut e = parse("promqlGenerator", expr)?;
    narrow(&mut e, namespace, filters).map_err(|e| e.on("promqlGenerator"))?;
    for_each_selector(&mut e, &mut |v| {
        for g in groups(v) {
            g.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(())
    })?;
    Ok(e.to_string())
}

/// A raw alert expression of a namespace must read only that namespace: every selector needs
/// `namespace="<ns>"` (a regex or a missing matcher could reach other tenants' series).
pub fn require_namespace(field: &str, expr: &str, ns: &str) -> Result<(), ApiError> {
    let mut e = parse(field, expr)?;
    for_each_selector(&mut e, &mut |v| {
        let shown = v.to_string();
        for g in groups(v) {
            let scoped = g
                .iter()
                .any(|m| m.name == NAMESPACE && matches!(m.op, MatchOp::Equal) && m.value == ns);
            if !scoped {
                return Err(ApiError::invalid(field, Code::SelectorNamespace)
                    .arg(shown)
                    .arg(ns));
            }
        }
        Ok(())
    })
}

/// Whether `expr` parses as PromQL; the error names `field`.
pub fn check(field: &str, expr: &str) -> Result<(), ApiError> {
    parse(field, expr).map(|_| ())
}

/// Every vector selector of `expr`, without offsets, for the `match[]` of label lookups.
pub fn selectors(expr: &str) -> Result<Vec<String>, ApiError> {
    let mut e = parse("expr", expr)?;
    let mut out: Vec<String> = Vec::new();
    for_each_selector(&mut e, &mut |v| {
        let plain = VectorSelector {
            offset: None,
            at: None,
            ..v.clone()
        }
        .to_string();
        if !out.contains(&plain) {
            out.push(plain);
        }
        Ok(())
    })?;
    Ok(out)
}

/// A step that gives a chart about 60–300 points: the smallest round step at or above range/300.
pub fn auto_step(range_secs: i64) -> i64 {
    const ROUND: [i64; 16] = [
        5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ];
    let wanted = (range_secs.max(1) + 299) / 300;
    ROUND.into_iter().find(|s| *s >= wanted).unwrap_or(wanted)
}

/// Prometheus refuses more than 11,000 points per series.
pub const MAX_POINTS: i64 = 11_000;

/// Checks a range and step from a request; returns the step to use.
pub fn range_step(start: i64, end: i64, step: Option<i64>) -> Result<i64, ApiError> {
    if end <= start {
        return Err(ApiError::invalid("end", Code::EndBeforeStart));
    }
    let range = end - start;
    match step {
        None | Some(0) => Ok(auto_step(range)),
        Some(s) if s < 0 => Err(ApiError::invalid("step", Code::NotPositive)),
        Some(s) if range / s > MAX_POINTS => Err(ApiError::invalid("step", Code::TooManyPoints)
            .arg(MAX_POINTS)
            .arg(range / MAX_POINTS + 1)),
        Some(s) => Ok(s),
    }
}

fn parse(field: &str, expr: &str) -> Result<Expr, ApiError> {
    if expr.trim().is_empty() {
        return Err(ApiError::invalid(field, Code::Empty));
    }
    parser::parse(expr).map_err(|e| ApiError::invalid(field, Code::NotPromql).arg(e))
}

fn narrow(e: &mut Expr, namespace: Option<&str>, filters: &[LabelFilter]) -> Result<(), ApiError> {
    let mut matchers = Vec::new();
    if let Some(ns) = namespace {
        matchers.push(matcher(NAMESPACE, FilterOp::Eq, ns)?);
    }
    for f in filters {
        super::templates::label_name("filters", &f.name)?;
        if namespace.is_some() && f.name == NAMESPACE {
            return Err(ApiError::invalid("filters", Code::NamespaceFromEnvironment));
        }
        matchers.push(matcher(&f.name, f.op, &f.value)?);
    }
    if matchers.is_empty() {
        return Ok(());
    }
    for_each_selector(e, &mut |v| {
        for m in &matchers {
            set_matcher(v, m);
        }
        Ok(())
    })
}

type Visit<'a> = dyn FnMut(&mut VectorSelector) -> Result<(), ApiError> + 'a;

fn for_each_selector(e: &mut Expr, f: &mut Visit<'_>) -> Result<(), ApiError> {
    match e {
        Expr::Aggregate(a) => {
            if let Some(p) = a.param.as_deref_mut() {
                for_each_selector(p, f)?;
            }
            for_each_selector(&mut a.expr, f)
        }
        Expr::Unary(u) => for_each_selector(&mut u.expr, f),
        Expr::Binary(b) => {
            for_each_selector(&mut b.lhs, f)?;
            for_each_selector(&mut b.rhs, f)
        }
        Expr::Paren(p) => for_each_selector(&mut p.expr, f),
        Expr::Subquery(s) => for_each_selector(&mut s.expr, f),
        Expr::VectorSelector(v) => f(v),
        Expr::MatrixSelector(m) => f(&mut m.vs),
        Expr::Call(c) => c
            .args
            .args
            .iter_mut()
            .try_for_each(|a| for_each_selector(a, f)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Ok(()),
    }
}

/// The matcher groups of a selector: one, or one per `or` alternative.
fn groups(v: &mut VectorSelector) -> Vec<&mut Vec<Matcher>> {
    if v.matchers.or_matchers.is_empty() {
        vec![&mut v.matchers.matchers]
    } else {
        v.matchers.or_matchers.iter_mut().collect()
    }
}

fn set_matcher(v: &mut VectorSelector, m: &Matcher) {
    for g in groups(v) {
        g.retain(|x| x.name != m.name);
        g.push(m.clone());
    }
}

fn own_namespace_only(v: &mut VectorSelector, ns: &str) -> Result<(), ApiError> {
    let shown = v.to_string();
    for g in groups(v) {
        for m in g.iter().filter(|m| m.name == NAMESPACE) {
            let same = matches!(m.op, MatchOp::Equal | MatchOp::Re(_)) && m.value == ns;
            if !same {
                return Err(ApiError::invalid("expr", Code::QueryOtherNamespace)
                    .arg(shown)
                    .arg(ns));
            }
        }
    }
    Ok(())
}

/// A matcher built by the PromQL parser itself, so regexes are checked the way Prometheus does.
fn matcher(name: &str, op: FilterOp, value: &str) -> Result<Matcher, ApiError> {
    let text = format!("x{{{name}{}{}}}", op.as_str(), quote(value));
    let bad = || {
        ApiError::invalid("filters", Code::BadMatcher)
            .arg(format!("{name}{}{value:?}", op.as_str()))
    };
    match parser::parse(&text) {
        Ok(Expr::VectorSelector(v)) => v.matchers.find_matchers(name).pop().ok_or_else(bad),
        Ok(_) => Err(bad()),
        Err(e) => Err(ApiError::invalid("filters", Code::BadMatcherDetail)
            .arg(format!("{name}{}{value:?}", op.as_str()))
            .arg(e)),
    }
}

/// A PromQL string literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, op: FilterOp, value: &str) -> LabelFilter {
        LabelFilter {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn raw_expressions_get_the_namespace_everywhere() {
        let cases = [
            ("up", r#"up{namespace="shop"}"#),
            (
                r#"rate(http_requests_total{code=~"5.."}[5m])"#,
                r#"rate(http_requests_total{code=~"5..",namespace="shop"}[5m])"#,
            ),
            (
                "sum by (pod) (a) / on (pod) group_left b",
                r#"sum by (pod) (a{namespace="shop"}) / on (pod) group_left () b{namespace="shop"}"#,
            ),
            (
                "max_over_time(rate(x[1m])[10m:1m] offset 1h)",
                r#"max_over_time(rate(x{namespace="shop"}[1m])[10m:1m] offset 1h)"#,
            ),
            (
                r#"topk(3, x{namespace="shop"})"#,
                r#"topk(3, x{namespace="shop"})"#,
            ),
            (
                r#"label_replace(x, "a", "$1", "b", "(.*)")"#,
                r#"label_replace(x{namespace="shop"}, "a", "$1", "b", "(.*)")"#,
            ),
            ("vector(1) + 2", "vector(1) + 2"),
            (
                r#"{__name__=~"kube_pod_.*"}"#,
                r#"{__name__=~"kube_pod_.*",namespace="shop"}"#,
            ),
        ];
        for (input, want) in cases {
            let got = scope_raw(input, Some("shop"), &[]).unwrap();
            assert_eq!(got, want, "{input}");
            // The rewrite is stable: scoping a scoped query changes nothing.
            assert_eq!(scope_raw(&got, Some("shop"), &[]).unwrap(), want);
        }
    }

    #[test]
    fn other_namespaces_are_refused() {
        for input in [
            r#"up{namespace="kube-system"}"#,
            r#"up{namespace=~"shop|kube-system"}"#,
            r#"up{namespace!="shop"}"#,
            r#"sum(a) + b{namespace="x"}"#,
        ] {
            let e = scope_raw(input, Some("shop"), &[]).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("expr"), "{input}");
            assert!(e.message.contains("another namespace"), "{}", e.message);
        }
        // Cluster-wide queries (system admins) keep what they name.
        assert_eq!(
            scope_raw(r#"up{namespace="kube-system"}"#, None, &[]).unwrap(),
            r#"up{namespace="kube-system"}"#
        );
    }

    #[test]
    fn filters_replace_matchers_of_the_same_label() {
        let got = scope_raw(
            r#"a{pod="x"} + b"#,
            Some("shop"),
            &[
                f("pod", FilterOp::Re, "web-.*|api-.*"),
                f("container", FilterOp::Ne, ""),
            ],
        )
        .unwrap();
        assert_eq!(
            got,
            r#"a{container!="",namespace="shop",pod=~"web-.*|api-.*"} + b{container!="",namespace="shop",pod=~"web-.*|api-.*"}"#
        );
        // Quotes and backslashes in values survive.
        let got = scope_raw("a", None, &[f("path", FilterOp::Re, r#"/a\.b"c"#)]).unwrap();
        assert_eq!(got, r#"a{path=~"/a\\.b\"c"}"#);
    }

    #[test]
    fn bad_filters_name_the_field() {
        let cases = [
            (f("bad-name", FilterOp::Eq, "x"), "not a label name"),
            (f("pod", FilterOp::Re, "(unclosed"), "pod=~"),
            (
                f("namespace", FilterOp::Eq, "other"),
                "set by the environment",
            ),
        ];
        for (filter, want) in cases {
            let e = scope_raw("up", Some("shop"), std::slice::from_ref(&filter)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("filters"), "{filter:?}");
            assert!(e.message.contains(want), "{filter:?}: {}", e.message);
        }
    }

    #[test]
    fn templates_are_summed_by_their_labels() {
        /// expr, labels, namespace, filters, expected
        type Case<'a> = (
            &'a str,
            &'a [&'a str],
            Option<&'a str>,
            Vec<LabelFilter>,
            &'a str,
        );
        let cases: [Case; 4] = [
            (
                "gems_container_cpu_usage_cores",
                &["pod", "container"],
                Some("shop"),
                vec![f("pod", FilterOp::Re, "web-1|web-2")],
                r#"sum by (pod, container) (gems_container_cpu_usage_cores{namespace="shop",pod=~"web-1|web-2"})"#,
            ),
            (
                "100 * sum(gems_node_cpu_usage_cores) / sum(gems_node_cpu_total_cores)",
                &[],
                None,
                vec![],
                "sum(100 * sum(gems_node_cpu_usage_cores) / sum(gems_node_cpu_total_cores))",
            ),
            (
                // A template's own namespace matcher is replaced by the environment's.
                r#"kube_pod_info{namespace="x"}"#,
                &["pod"],
                Some("shop"),
                vec![],
                r#"sum by (pod) (kube_pod_info{namespace="shop"})"#,
            ),
            (
                "rate(jvm_gc_duration_seconds_sum[5m])",
                &["namespace", "pod"],
                Some("shop"),
                vec![],
                r#"sum by (namespace, pod) (rate(jvm_gc_duration_seconds_sum{namespace="shop"}[5m]))"#,
            ),
        ];
        for (expr, labels, ns, filters, want) in cases {
            let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
            assert_eq!(expand_template(expr, &labels, ns, &filters).unwrap(), want);
        }
        let e = expand_template("time()", &[], None, &[]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("template"));
    }

    #[test]
    fn selectors_for_label_lookups() {
        let got = selectors(r#"sum(rate(a{x="1"}[5m] offset 1h)) / b + a{x="1"}"#).unwrap();
        assert_eq!(got, vec![r#"a{x="1"}"#.to_string(), "b".to_string()]);
    }

    #[test]
    fn steps_give_60_to_300_points() {
        let cases = [
            (5 * 60, 5),
            (15 * 60, 5),
            (3600, 15),
            (6 * 3600, 120),
            (24 * 3600, 300),
            (7 * 86400, 3600),
            (30 * 86400, 10800),
            (400 * 86400, 115200),
        ];
        for (range, want) in cases {
            let step = auto_step(range);
            assert_eq!(step, want, "range {range}");
            if range >= 300 {
                let points = range / step;
                assert!((60..=300).contains(&points), "{range}: {points} points");
            }
        }
    }

    #[test]
    fn ranges_and_steps_are_checked() {
        assert_eq!(range_step(0, 3600, None).unwrap(), 15);
        assert_eq!(range_step(0, 3600, Some(60)).unwrap(), 60);
        assert_eq!(
            range_step(10, 10, None).unwrap_err().field.as_deref(),
            Some("end")
        );
        assert_eq!(
            range_step(0, 10, Some(-1)).unwrap_err().field.as_deref(),
            Some("step")
        );
        let e = range_step(0, 86400 * 30, Some(1)).unwrap_err();
        assert!(e.message.contains("at least 236s"), "{}", e.message);
    }
}
