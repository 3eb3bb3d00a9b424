//! Generated PromQL and LogQL: every expression the environment scoping accepts must, once
//! re-parsed from what would be sent, read only the namespace's series and never write the
//! namespace label. The oracle below walks the re-parsed tree on its own (promql-parser's visitor)
//! rather than reusing the gate it checks.
//!
//! `GEMSCOPE_PROPTEST_CASES=1000000 cargo test -p app --release confine::proptests -- --nocapture`
//! runs a million expressions; the default run is small enough for CI.

use std::sync::atomic::{AtomicU64, Ordering};

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};
use promql_parser::util::{ExprVisitor, walk_expr};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;
use crate::domain::logql::ast as lq;

const NS: &str = "shop";

fn cases() -> u32 {
    std::env::var("GEMSCOPE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn matcher() -> impl Strategy<Value = String> {
    let label = prop::sample::select(vec!["namespace", "pod", "job", "__name__"]);
    let op = prop::sample::select(vec!["=", "!=", "=~", "!~"]);
    let value = prop::sample::select(vec!["shop", "other", "shop|other", ".*", "", "sho.*", "up"]);
    (label, op, value).prop_map(|(l, o, v)| format!("{l}{o}\"{v}\""))
}

fn selector() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["up", "x", "kube_secret_info", ""]);
    let groups = prop::collection::vec(prop::collection::vec(matcher(), 0..3), 1..3);
    (name, groups).prop_map(|(n, gs)| {
        let gs: Vec<String> = gs.into_iter().map(|g| g.join(",")).collect();
        let body = gs.join(" or ");
        if n.is_empty() {
            format!("{{{body}}}")
        } else if body.is_empty() {
            n.to_string()
        } else {
            format!("{n}{{{body}}}")
        }
    })
}

fn modifier() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " offset 1h",
        " @ 100",
        " @ start()",
        " offset -5m",
    ])
    .prop_map(str::to_string)
}

fn promql() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => (selector(), modifier()).prop_map(|(s, m)| format!("{s}{m}")),
        1 => prop::sample::select(vec!["1", "vector(0)", "time()", "-0.5", "1e3"]).prop_map(str::to_string),
        2 => (selector(), modifier()).prop_map(|(s, m)| format!("rate({s}[5m]{m})")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let binop = prop::sample::select(vec!["+", "/", ">", "== bool", "or", "and", "unless"]);
        let matching = prop::sample::select(vec![
            "",
            " on () ",
            " on (pod) ",
            " ignoring (namespace) ",
            " on (namespace) group_left ",
        ]);
        let agg = prop::sample::select(vec!["sum", "max", "count", "min"]);
        let grouping = prop::sample::select(vec!["", " by (namespace)", " without (pod)"]);
        let dst = prop::sample::select(vec!["namespace", "pod"]);
        prop_oneof![
            (inner.clone(), binop, matching, inner.clone())
                .prop_map(|(a, o, m, b)| format!("{a} {o}{m} {b}")),
            (agg, grouping, inner.clone()).prop_map(|(f, g, e)| format!("{f}{g} ({e})")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("absent({e})")),
            inner.clone().prop_map(|e| format!("topk(3, {e})")),
            (dst.clone(), inner.clone()).prop_map(|(d, e)| format!("count_values(\"{d}\", {e})")),
            (inner.clone(), dst.clone()).prop_map(|(e, d)| format!(
                "label_replace({e}, \"{d}\", \"$1\", \"pod\", \"(.*)\")"
            )),
            (inner.clone(), dst)
                .prop_map(|(e, d)| format!("label_join({e}, \"{d}\", \",\", \"pod\")")),
            inner
                .clone()
                .prop_map(|e| format!("max_over_time(({e})[10m:1m])")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("topk(scalar({a}), {b})")),
        ]
    })
}

/// What the oracle found wrong in an expression that was accepted.
struct Oracle {
    selectors: usize,
    faults: Vec<String>,
}

impl Oracle {
    fn selector(&mut self, vs: &parser::VectorSelector) {
        self.selectors += 1;
        let groups: Vec<&Vec<promql_parser::label::Matcher>> = if vs.matchers.or_matchers.is_empty()
        {
            vec![&vs.matchers.matchers]
        } else {
            vs.matchers.or_matchers.iter().collect()
        };
        for g in groups {
            let own = g
                .iter()
                .any(|m| m.name == "namespace" && m.op == MatchOp::Equal && m.value == NS);
            if !own {
                self.faults.push(format!("{vs} reads beyond {NS}"));
            }
        }
    }
}

impl ExprVisitor for Oracle {
    type Error = ();

    fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
        match e {
            Expr::VectorSelector(v) => self.selector(v),
            Expr::MatrixSelector(m) => self.selector(&m.vs),
            // The library's walk does not enter an aggregation's parameter.
            Expr::Aggregate(a) => {
                if let Some(p) = a.param.as_deref() {
                    walk_expr(self, p)?;
                }
                let text = e.to_string();
                if text.starts_with("count_values(\"namespace\"") {
                    self.faults.push(format!("{text} writes namespace"));
                }
            }
            Expr::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
                if let Some(Expr::StringLiteral(s)) = c.args.args.get(1).map(|b| b.as_ref())
                    && s.val == "namespace"
                {
                    self.faults.push(format!("{e} writes namespace"));
                }
            }
            _ => {}
        }
        Ok(true)
    }

    fn post_visit(&mut self, _: &Expr) -> Result<bool, ()> {
        Ok(true)
    }
}

fn promql_faults(sent: &str, need_selector: bool) -> Vec<String> {
    let e = match parser::parse(sent) {
        Ok(e) => e,
        Err(err) => return vec![format!("what would be sent does not parse: {sent}: {err}")],
    };
    let mut o = Oracle {
        selectors: 0,
        faults: Vec::new(),
    };
    let _ = walk_expr(&mut o, &e);
    if need_selector && o.selectors == 0 {
        o.faults.push(format!("{sent} reads no series"));
    }
    o.faults
}

#[derive(Default)]
struct Tally {
    tried: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
}

impl Tally {
    fn count(&self, ok: bool) {
        self.tried.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn report(&self, what: &str) {
        println!(
            "{what}: {} scoping attempts, {} accepted, {} refused, 0 escapes",
            self.tried.load(Ordering::Relaxed),
            self.accepted.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed)
        );
    }
}

#[test]
fn promql_scoping_never_lets_another_namespace_through() {
    let tally = Tally::default();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let base = r#"x{namespace="shop"}"#;
    runner
        .run(&promql(), |expr| {
            // A raw explore query.
            let explore = promql_scope::scope_raw(&expr, Some(NS), &[]);
            tally.count(explore.is_ok());
            if let Ok(sent) = &explore {
                let faults: Vec<String> = promql_faults(sent, false)
                    .into_iter()
                    .filter(|f| f.contains("reads beyond"))
                    .collect();
                prop_assert!(faults.is_empty(), "explore {expr} -> {sent}: {faults:?}");
            }
            // A raw alert expression, and the same text as a threshold.
            let raw = promql_final("expr", &expr, Some(NS));
            tally.count(raw.is_ok());
            if let Ok(sent) = &raw {
                let faults = promql_faults(sent, true);
                prop_assert!(faults.is_empty(), "rule {expr} -> {sent}: {faults:?}");
                let again = promql_final("expr", sent, Some(NS));
                prop_assert_eq!(again.as_ref(), Ok(sent), "not stable: {}", expr);
            }
            let level = promql_threshold("t", &expr, Some(NS))
                .and_then(|t| promql_final("t", &format!("{base}>{t}"), Some(NS)));
            tally.count(level.is_ok());
            if let Ok(sent) = &level {
                let faults = promql_faults(sent, true);
                prop_assert!(faults.is_empty(), "threshold {expr} -> {sent}: {faults:?}");
            }
            Ok(())
        })
        .unwrap();
    tally.report("PromQL");
}

fn logql() -> impl Strategy<Value = String> {
    let matchers = prop::collection::vec(matcher(), 0..3).prop_map(|ms| {
        let ms: Vec<String> = ms
            .into_iter()
            .filter(|m| !m.starts_with("__name__"))
            .collect();
        if ms.is_empty() {
            r#"app="a""#.to_string()
        } else {
            ms.join(", ")
        }
    });
    let stage = prop::sample::select(vec![
        "",
        " |= \"err\"",
        " | json",
        " | logfmt",
        " | label_format namespace=\"other\"",
        " | label_format pod=\"x\"",
        " | json namespace=\"ns\"",
        " | drop namespace",
    ]);
    let func = prop::sample::select(vec!["count_over_time", "rate", "bytes_over_time"]);
    let leaf = prop_oneof![
        4 => (func, matchers, stage).prop_map(|(f, m, s)| format!("{f}({{{m}}}{s} [5m])")),
        1 => prop::sample::select(vec!["vector(0)", "1"]).prop_map(str::to_string),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        let op = prop::sample::select(vec!["or", "and", "+", ">", "unless"]);
        let dst = prop::sample::select(vec!["namespace", "pod"]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
            inner
                .clone()
                .prop_map(|e| format!("sum by (namespace) ({e})")),
            (inner, dst)
                .prop_map(|(e, d)| format!("label_replace({e}, \"{d}\", \"x\", \"\", \"\")")),
        ]
    })
}

fn logql_faults(sent: &str) -> Vec<String> {
    let m = match logql::parse(sent) {
        Ok(lq::Expr::Metric(m)) => m,
        other => {
            return vec![format!(
                "{sent} does not re-parse as a metric query: {other:?}"
            )];
        }
    };
    let mut faults = Vec::new();
    let ranges = m.log_ranges();
    if ranges.is_empty() {
        faults.push(format!("{sent} reads no stream"));
    }
    for r in ranges {
        let own = r
            .log
            .selector
            .iter()
            .any(|s| s.name == "namespace" && s.op == lq::MatchOp::Eq && s.value == NS);
        if !own {
            faults.push(format!("{} reads beyond {NS}", r.log));
        }
        let rewrites = r.log.pipeline.iter().any(
            |s| matches!(s, lq::Stage::LabelFormat(l) if l.iter().any(|(k, _)| k == "namespace")),
        );
        if rewrites {
            faults.push(format!("{} rewrites namespace", r.log));
        }
    }
    if sent.contains(r#"label_replace("#) && sent.contains(r#","namespace","#) {
        faults.push(format!("{sent} replaces namespace"));
    }
    faults
}

#[test]
fn logql_scoping_never_lets_another_namespace_through() {
    let tally = Tally::default();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let base = r#"sum(count_over_time({app="a", namespace="shop"}[5m]))"#;
    runner
        .run(&logql(), |expr| {
            let raw = logql_final("expr", &expr, Some(NS));
            tally.count(raw.is_ok());
            if let Ok(sent) = &raw {
                let faults = logql_faults(sent);
                prop_assert!(faults.is_empty(), "rule {expr} -> {sent}: {faults:?}");
            }
            let level = logql_threshold("t", &expr, Some(NS))
                .and_then(|t| logql_final("t", &format!("{base}>{t}"), Some(NS)));
            tally.count(level.is_ok());
            if let Ok(sent) = &level {
                let faults = logql_faults(sent);
                prop_assert!(faults.is_empty(), "threshold {expr} -> {sent}: {faults:?}");
            }
            Ok(())
        })
        .unwrap();
    tally.report("LogQL");
}
