//! The expression of a rule: generated from a template or the LogQL generator, or the raw one
//! checked; then each level's expression with its threshold, through the namespace gate.

use super::{
    MAX_EXPR_BYTES, MAX_LOG_WINDOW_MS, MAX_MATCHER_VALUE_BYTES, MAX_MATCHERS, Target, duration,
    has_generator, label_name, too_long,
};
use crate::domain::{confine, logql, promql_scope};
use crate::error::{ApiError, Code};
use crate::model::{
    AlertLevel, AlertRuleInput, AlertType, FilterOp, LabelFilter, LabelMatcher, LevelExpr,
    TemplateRule,
};

fn check_matchers(field: &str, list: &[LabelMatcher]) -> Result<Vec<LabelMatcher>, ApiError> {
    if list.len() > MAX_MATCHERS {
        return Err(ApiError::invalid(field, Code::TooManyMatchers).arg(MAX_MATCHERS));
    }
    let mut out: Vec<LabelMatcher> = Vec::new();
    for m in list {
        label_name(field, &m.name)?;
        too_long(field, &m.value, MAX_MATCHER_VALUE_BYTES)?;
        let exact = matches!(m.op, FilterOp::Eq | FilterOp::Ne);
        if exact && m.value.contains('|') {
            return Err(
                ApiError::invalid(field, Code::EqualsManyValues).arg(format!(
                    "{}{}{:?}",
                    m.name,
                    m.op.as_str(),
                    m.value
                )),
            );
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

fn filters(list: &[LabelMatcher]) -> Vec<LabelFilter> {
    list.iter()
        .map(|m| LabelFilter {
            name: m.name.clone(),
            op: m.op,
            value: m.value.clone(),
        })
        .collect()
}

/// A LogQL string literal: backticks unless the text holds one.
fn logql_literal(s: &str) -> String {
    if s.contains('`') {
        logql::ast::quote(s)
    } else {
        format!("`{s}`")
    }
}

fn logql_check(field: &str, expr: &str) -> Result<logql::ast::Expr, ApiError> {
    logql::parse(expr).map_err(|e| ApiError::invalid(field, Code::NotLogql).arg(e))
}

/// The expression without thresholds: generated from the template or the LogQL generator, or
/// the raw one checked (parsed, and limited to the namespace).
pub fn base_expr(
    input: &AlertRuleInput,
    target: &Target<'_>,
    template: Option<&TemplateRule>,
) -> Result<String, ApiError> {
    match input.alert_type {
        AlertType::Monitor => match &input.promql_generator {
            Some(g) => {
                let t = template.ok_or_else(|| {
                    ApiError::invalid("promqlGenerator", Code::TemplateMissing).arg(g.key.clone())
                })?;
                let matchers = check_matchers("promqlGenerator.labelMatchers", &g.label_matchers)?;
                if target.scoped_ns().is_some() && matchers.iter().any(|m| m.name == "namespace") {
                    return Err(ApiError::invalid(
                        "promqlGenerator.labelMatchers",
                        Code::OwnNamespaceMatcher,
                    ));
                }
                promql_scope::alert_expr(&t.expr, target.scoped_ns(), &filters(&matchers))
            }
            None => {
                let expr = input.expr.trim();
                if expr.is_empty() {
                    return Err(ApiError::invalid("expr", Code::NoExpr));
                }
                too_long("expr", expr, MAX_EXPR_BYTES)?;
                match target.scoped_ns() {
                    Some(ns) => promql_scope::require_namespace("expr", expr, ns)?,
                    None => promql_scope::check("expr", expr)?,
                }
                Ok(expr.to_string())
            }
        },
        AlertType::Logging => match &input.logql_generator {
            Some(g) => {
                let field = "logqlGenerator.duration";
                let ms = duration(field, &g.duration)?;
                if ms == 0 || ms > MAX_LOG_WINDOW_MS {
                    return Err(ApiError::invalid(field, Code::LogWindow));
                }
                if g.match_.is_empty() {
                    return Err(ApiError::invalid("logqlGenerator.match", Code::NoLogMatch));
                }
                regex::Regex::new(&g.match_).map_err(|e| {
                    ApiError::invalid("logqlGenerator.match", Code::NotRegex).arg(e)
                })?;
                let mf = "logqlGenerator.labelMatchers";
                let matchers = check_matchers(mf, &g.label_matchers)?;
                if matchers.is_empty() {
                    return Err(ApiError::invalid(mf, Code::NoLogLabel));
                }
                if matchers.iter().any(|m| m.name == "namespace") {
                    return Err(ApiError::invalid(mf, Code::OwnNamespaceMatcher));
                }
                let mut parts: Vec<String> = matchers
                    .iter()
                    .map(|m| format!("{}{}{}", m.name, m.op.as_str(), logql::ast::quote(&m.value)))
                    .collect();
                parts.sort();
                if let Some(ns) = target.scoped_ns() {
                    parts.push(format!("namespace={}", logql::ast::quote(ns)));
                }
                let expr = format!(
                    "sum(count_over_time({{{}}} |~ {} [{}]))without(fluentd_thread)",
                    parts.join(", "),
                    logql_literal(&g.match_),
                    g.duration.trim()
                );
                logql_check("logqlGenerator", &expr)?;
                Ok(expr)
            }
            None => {
                let expr = input.expr.trim();
                if expr.is_empty() {
                    return Err(ApiError::invalid("expr", Code::NoLogqlExpr));
                }
                too_long("expr", expr, MAX_EXPR_BYTES)?;
                let parsed = logql_check("expr", expr)?;
                let logql::ast::Expr::Metric(m) = &parsed else {
                    return Err(ApiError::invalid("expr", Code::LogAlertNeedsMetric));
                };
                if let Some(ns) = target.scoped_ns() {
                    for r in m.log_ranges() {
                        let scoped = r.log.selector.iter().any(|s| {
                            s.name == "namespace"
                                && s.op == logql::ast::MatchOp::Eq
                                && s.value == ns
                        });
                        if !scoped {
                            return Err(ApiError::invalid("expr", Code::StreamNamespace).arg(ns));
                        }
                    }
                }
                Ok(expr.to_string())
            }
        },
    }
}

/// Each level's expression: `<expr><op><threshold>`, or a raw expression as it is. In an
/// environment a threshold is a number or an expression scoped to the namespace, and the whole
/// level then passes the last gate ([`confine`]): every selector reads the namespace. What is
/// returned (and written) is the re-serialised parsed expression.
pub fn level_exprs(
    input: &AlertRuleInput,
    target: &Target<'_>,
    base: &str,
) -> Result<Vec<LevelExpr>, ApiError> {
    let generated = has_generator(input);
    let ns = target.scoped_ns();
    input
        .alert_levels
        .iter()
        .enumerate()
        .map(|(i, l): (usize, &AlertLevel)| {
            let value_field = format!("alertLevels[{i}].compareValue");
            let (field, text) = if generated {
                let threshold = match input.alert_type {
                    AlertType::Monitor => {
                        confine::promql_threshold(&value_field, &l.compare_value, ns)?
                    }
                    AlertType::Logging => {
                        confine::logql_threshold(&value_field, &l.compare_value, ns)?
                    }
                };
                (value_field, format!("{base}{}{threshold}", l.compare_op))
            } else {
                ("expr".to_string(), base.to_string())
            };
            let expr = match input.alert_type {
                AlertType::Monitor => confine::promql_final(&field, &text, ns)?,
                AlertType::Logging => confine::logql_final(&field, &text, ns)?,
            };
            Ok(LevelExpr {
                severity: l.severity,
                expr,
            })
        })
        .collect()
}
