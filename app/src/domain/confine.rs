//! The last gate before an environment's expression reaches Prometheus, Loki or a cluster: the
//! whole expression (generated or raw, thresholds included) is parsed again and must read only
//! the namespace's own series. What leaves Gemscope is the re-serialised parsed expression, so the
//! text that was checked is the text that runs and no parser difference can hide a selector.

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};

use super::logql::{self, ast as lq};
use super::promql_scope;
use crate::error::{ApiError, Code};

const NAMESPACE: &str = "namespace";

/// A threshold: a number as Prometheus reads it (`80`, `0.5`, `-1`, `1e3`, `0x1f`, `Inf`, `NaN`).
pub fn is_number(value: &str) -> bool {
    let v = value.trim();
    let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
    if unsigned.eq_ignore_ascii_case("inf")
        || unsigned.eq_ignore_ascii_case("infinity")
        || unsigned.eq_ignore_ascii_case("nan")
    {
        return true;
    }
    if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let starts_well = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    starts_well && unsigned.parse::<f64>().is_ok()
}

/// A PromQL threshold as it follows the comparison operator. A number is kept as written; an
/// expression is scoped like a raw query (every selector gets `namespace="<ns>"`, another
/// namespace is refused) and put in parentheses, so `vector(0) or x` compares against the whole
/// expression instead of being or-ed onto the comparison.
pub fn promql_threshold(field: &str, value: &str, ns: Option<&str>) -> Result<String, ApiError> {
    let value = value.trim();
    if is_number(value) {
        return Ok(value.to_string());
    }
    let scoped = promql_scope::scope_raw(value, ns, &[]).map_err(|e| e.on(field))?;
    Ok(format!("({scoped})"))
}

/// A LogQL threshold, as [`promql_threshold`] for log metric queries.
pub fn logql_threshold(field: &str, value: &str, ns: Option<&str>) -> Result<String, ApiError> {
    let value = value.trim();
    if is_number(value) {
        return Ok(value.to_string());
    }
    let mut m = logql_metric(field, value)?;
    if let Some(ns) = ns {
        scope_log_ranges(&mut m, ns, field)?;
    }
    Ok(format!("({m})"))
}

/// A final PromQL expression: parsed, confined to `ns` when given, and re-serialised.
pub fn promql_final(field: &str, expr: &str, ns: Option<&str>) -> Result<String, ApiError> {
    let e = parser::parse(expr).map_err(|e| ApiError::invalid(field, Code::NotPromql).arg(e))?;
    if let Some(ns) = ns {
        let mut selectors = 0;
        walk_promql(&e, &mut |node| {
            confined_promql_node(node, ns, &mut selectors)
        })
        .map_err(|code| match code {
            Problem::Selector(vs) => ApiError::invalid(field, Code::SelectorNamespace)
                .arg(vs)
                .arg(ns),
            Problem::Other(code) => ApiError::invalid(field, code),
        })?;
        if selectors == 0 {
            return Err(ApiError::invalid(field, Code::NoOwnSeries).arg(ns));
        }
    }
    Ok(e.to_string())
}

/// A final LogQL metric expression: parsed, confined to `ns` when given, and re-serialised.
pub fn logql_final(field: &str, expr: &str, ns: Option<&str>) -> Result<String, ApiError> {
    let m = logql_metric(field, expr)?;
    if let Some(ns) = ns {
        let ranges = m.log_ranges();
        if ranges.is_empty() {
            return Err(ApiError::invalid(field, Code::NoOwnStream).arg(ns));
        }
        for r in ranges {
            if !r.log.selector.iter().any(|s| own(s, ns)) {
                return Err(ApiError::invalid(field, Code::StreamNamespace).arg(ns));
            }
            check_log_pipeline(&r.log, field)?;
        }
        check_log_rewrites(&m, field)?;
    }
    Ok(m.to_string())
}

fn logql_metric(field: &str, expr: &str) -> Result<lq::MetricExpr, ApiError> {
    match logql::parse(expr) {
        Ok(lq::Expr::Metric(m)) => Ok(m),
        Ok(lq::Expr::Log(_)) => Err(ApiError::invalid(field, Code::LogAlertNeedsMetric)),
        Err(e) => Err(ApiError::invalid(field, Code::NotLogql).arg(e)),
    }
}

fn own(m: &lq::Matcher, ns: &str) -> bool {
    m.name == NAMESPACE && m.op == lq::MatchOp::Eq && m.value == ns
}

/// Sets `namespace="<ns>"` on every stream selector; another namespace is refused.
fn scope_log_ranges(m: &mut lq::MetricExpr, ns: &str, field: &str) -> Result<(), ApiError> {
    match m {
        lq::MetricExpr::Range { range, .. } => {
            let sel = &mut range.log.selector;
            if sel.iter().any(|s| s.name == NAMESPACE && !own(s, ns)) {
                return Err(ApiError::invalid(field, Code::LogsOtherNamespace).arg(ns));
            }
            if !sel.iter().any(|s| own(s, ns)) {
                sel.push(lq::Matcher {
                    name: NAMESPACE.into(),
                    op: lq::MatchOp::Eq,
                    value: ns.into(),
                });
            }
            Ok(())
        }
        lq::MetricExpr::Aggregate { inner, .. } | lq::MetricExpr::LabelReplace { inner, .. } => {
            scope_log_ranges(inner, ns, field)
        }
        lq::MetricExpr::Binary { lhs, rhs, .. } => {
            scope_log_ranges(lhs, ns, field)?;
            scope_log_ranges(rhs, ns, field)
        }
        lq::MetricExpr::Number(_) | lq::MetricExpr::Literal(_) => Ok(()),
    }
}

fn writes_namespace(field: &str) -> ApiError {
    ApiError::invalid(field, Code::WritesNamespace)
}

/// Pipeline stages that could set the `namespace` label from log content.
fn check_log_pipeline(log: &lq::LogExpr, field: &str) -> Result<(), ApiError> {
    for stage in &log.pipeline {
        let named = match stage {
            lq::Stage::LabelFormat(list) => list.iter().any(|(k, _)| k == NAMESPACE),
            lq::Stage::Json(params) => params.iter().any(|(k, _)| k == NAMESPACE),
            lq::Stage::Logfmt { params, .. } => params.iter().any(|(k, _)| k == NAMESPACE),
            _ => false,
        };
        if named {
            return Err(writes_namespace(field));
        }
    }
    Ok(())
}

fn check_log_rewrites(m: &lq::MetricExpr, field: &str) -> Result<(), ApiError> {
    match m {
        lq::MetricExpr::LabelReplace { inner, dst, .. } => {
            if dst == NAMESPACE {
                return Err(writes_namespace(field));
            }
            check_log_rewrites(inner, field)
        }
        lq::MetricExpr::Aggregate { inner, .. } => check_log_rewrites(inner, field),
        lq::MetricExpr::Binary { lhs, rhs, .. } => {
            check_log_rewrites(lhs, field)?;
            check_log_rewrites(rhs, field)
        }
        _ => Ok(()),
    }
}

/// Visits every node of a PromQL expression, parents first.
/// Why a PromQL node is not confined: a selector that misses the namespace, or a fixed reason.
enum Problem {
    Selector(String),
    Other(Code),
}

fn walk_promql(e: &Expr, f: &mut dyn FnMut(&Expr) -> Result<(), Problem>) -> Result<(), Problem> {
    f(e)?;
    match e {
        Expr::Aggregate(a) => {
            if let Some(p) = a.param.as_deref() {
                walk_promql(p, f)?;
            }
            walk_promql(&a.expr, f)
        }
        Expr::Unary(u) => walk_promql(&u.expr, f),
        Expr::Binary(b) => {
            walk_promql(&b.lhs, f)?;
            walk_promql(&b.rhs, f)
        }
        Expr::Paren(p) => walk_promql(&p.expr, f),
        Expr::Subquery(s) => walk_promql(&s.expr, f),
        Expr::Call(c) => c.args.args.iter().try_for_each(|a| walk_promql(a, f)),
        Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::Extension(_) => Ok(()),
    }
}

fn string_arg(e: Option<&Expr>) -> Option<&str> {
    match e? {
        Expr::StringLiteral(s) => Some(&s.val),
        Expr::Paren(p) => string_arg(Some(&p.expr)),
        _ => None,
    }
}

fn confined_promql_node(node: &Expr, ns: &str, selectors: &mut usize) -> Result<(), Problem> {
    let vs = match node {
        Expr::VectorSelector(v) => v,
        Expr::MatrixSelector(m) => &m.vs,
        Expr::Call(c) => {
            let dst = string_arg(c.args.args.get(1).map(|b| b.as_ref()));
            let writes = matches!(c.func.name, "label_replace" | "label_join")
                && dst.is_none_or(|d| d == NAMESPACE);
            return if writes {
                Err(Problem::Other(Code::WritesNamespace))
            } else {
                Ok(())
            };
        }
        Expr::Aggregate(a) => {
            let writes = a.op.to_string() == "count_values"
                && string_arg(a.param.as_deref()).is_none_or(|d| d == NAMESPACE);
            return if writes {
                Err(Problem::Other(Code::CountValuesNamespace))
            } else {
                Ok(())
            };
        }
        Expr::Extension(_) => return Err(Problem::Other(Code::UncheckableExpr)),
        _ => return Ok(()),
    };
    *selectors += 1;
    let groups: Vec<_> = if vs.matchers.or_matchers.is_empty() {
        vec![&vs.matchers.matchers]
    } else {
        vs.matchers.or_matchers.iter().collect()
    };
    for g in groups {
        let scoped = g
            .iter()
            .any(|m| m.name == NAMESPACE && matches!(m.op, MatchOp::Equal) && m.value == ns);
        if !scoped {
            return Err(Problem::Selector(vs.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
