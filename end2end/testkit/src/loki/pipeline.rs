//! Running a log pipeline (line filters, parsers, formatters, label filters) over one entry.

use app::domain::logql::{
    CmpOp, FilterValue, LabelFilter, LabelFilterOrName, LabelFmt, LineOp, LogExpr, Stage, duration,
};
use regex::Regex;
use serde_json::Value;

use super::store::{Entry, Labels, logfmt};

/// ANSI colour codes, for `decolorize`.
static ANSI: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(r"\x1b\[[0-9;]*m").expect("a valid pattern"));

/// A pipeline compiled once per query (regexes built up front).
pub struct Pipeline {
    stages: Vec<Compiled>,
}

enum Compiled {
    Line {
        negate: bool,
        matchers: Vec<LineMatch>,
    },
    Stage(Stage),
    Regexp(Regex),
    /// `decolorize`: strips ANSI colour codes.
    Decolorize,
}

enum LineMatch {
    Contains(String),
    Regex(Regex),
}

/// What Loki refuses at query time, and what this stand-in does not implement. Both end up as a
/// 400 with the message, never as an empty answer.
pub fn unsupported(what: &str) -> String {
    format!("{what} is not supported by the Gemscope Loki stand-in")
}

impl Pipeline {
    pub fn compile(log: &LogExpr) -> Result<Self, String> {
        let mut stages = Vec::new();
        for s in &log.pipeline {
            stages.push(match s {
                Stage::Line { op, values } => {
                    let negate = matches!(op, LineOp::NotContains | LineOp::NotMatch);
                    let matchers = values
                        .iter()
                        .map(|v| match op {
                            LineOp::Contains | LineOp::NotContains => {
                                Ok(LineMatch::Contains(v.clone()))
                            }
                            LineOp::Match | LineOp::NotMatch => Regex::new(v)
                                .map(LineMatch::Regex)
                                .map_err(|e| e.to_string()),
                            LineOp::Pattern | LineOp::NotPattern => {
                                Err(unsupported("pattern line filter"))
                            }
                        })
                        .collect::<Result<_, _>>()?;
                    Compiled::Line { negate, matchers }
                }
                Stage::Regexp(r) => Compiled::Regexp(Regex::new(r).map_err(|e| e.to_string())?),
                Stage::Pattern(_) => return Err(unsupported("the pattern parser")),
                Stage::Unpack => return Err(unsupported("unpack")),
                Stage::Decolorize => Compiled::Decolorize,
                Stage::LineFormat(t) => {
                    render(t, &Labels::new(), "")?;
                    Compiled::Stage(s.clone())
                }
                Stage::LabelFormat(list) => {
                    for (_, v) in list {
                        if let LabelFmt::Template(t) = v {
                            render(t, &Labels::new(), "")?;
                        }
                    }
                    Compiled::Stage(s.clone())
                }
                other => Compiled::Stage(other.clone()),
            });
        }
        Ok(Pipeline { stages })
    }

    /// The entry's labels and line after every stage, or `None` when a filter dropped it.
    pub fn run(&self, stream: &Labels, entry: &Entry) -> Result<Option<(Labels, String)>, String> {
        let mut labels = stream.clone();
        labels.extend(entry.metadata.clone());
        let mut line = entry.line.clone();
        for stage in &self.stages {
            match stage {
                Compiled::Line { negate, matchers } => {
                    let hit = matchers.iter().any(|m| match m {
                        LineMatch::Contains(s) => line.contains(s.as_str()),
                        LineMatch::Regex(r) => r.is_match(&line),
                    });
                    if hit == *negate {
                        return Ok(None);
                    }
                }
                Compiled::Decolorize => line = ANSI.replace_all(&line, "").into_owned(),
                Compiled::Regexp(re) => {
                    if let Some(caps) = re.captures(&line) {
                        for name in re.capture_names().flatten() {
                            if let Some(m) = caps.name(name) {
                                add_extracted(&mut labels, stream, name, m.as_str().to_string());
                            }
                        }
                    }
                }
                Compiled::Stage(s) => {
                    if !apply(s, stream, &mut labels, &mut line)? {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(Some((labels, line)))
    }
}

/// Applies one stage; `false` drops the entry.
fn apply(
    stage: &Stage,
    stream: &Labels,
    labels: &mut Labels,
    line: &mut String,
) -> Result<bool, String> {
    match stage {
        Stage::Json(params) => match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => {
                if params.is_empty() {
                    let mut flat = Vec::new();
                    flatten("", &Value::Object(map), &mut flat);
                    for (k, v) in flat {
                        add_extracted(labels, stream, &k, v);
                    }
                } else {
                    let root = Value::Object(map);
                    for (name, path) in params {
                        let v = path
                            .split('.')
                            .try_fold(&root, |v, key| v.get(key))
                            .and_then(scalar)
                            .unwrap_or_default();
                        add_extracted(labels, stream, name, v);
                    }
                }
            }
            _ => {
                labels.insert("__error__".into(), "JSONParserErr".into());
                labels.insert(
                    "__error_details__".into(),
                    "Value looks like object, but can't find closing '}' symbol".into(),
                );
            }
        },
        Stage::Logfmt { params, .. } => {
            let pairs = logfmt(line);
            if params.is_empty() {
                for (k, v) in pairs {
                    add_extracted(labels, stream, &sanitize(&k), v);
                }
            } else {
                for (name, key) in params {
                    let v = pairs
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    add_extracted(labels, stream, name, v);
                }
            }
        }
        Stage::Unpack => return Err(unsupported("unpack")),
        Stage::LineFormat(t) => *line = render(t, labels, line)?,
        Stage::LabelFormat(list) => {
            for (name, v) in list {
                match v {
                    LabelFmt::Rename(old) => {
                        let value = labels.remove(old).unwrap_or_default();
                        labels.insert(name.clone(), value);
                    }
                    LabelFmt::Template(t) => {
                        let value = render(t, labels, line)?;
                        labels.insert(name.clone(), value);
                    }
                }
            }
        }
        Stage::Drop(list) | Stage::Keep(list) => {
            let keep = matches!(stage, Stage::Keep(_));
            let named = |k: &str, v: &str| {
                list.iter().any(|l| match l {
                    LabelFilterOrName::Name(n) => n == k,
                    LabelFilterOrName::Matcher(m) => m.name == k && m.matches(v),
                })
            };
            labels.retain(|k, v| named(k, v) == keep);
        }
        Stage::Filter(f) => return filter(f, labels),
        // `unwrap` is read by the range aggregation, which looks for it in the expression.
        Stage::Unwrap { .. } => {}
        // Compiled once in `Pipeline::compile` and applied by `run`.
        Stage::Line { .. } | Stage::Regexp(_) | Stage::Pattern(_) | Stage::Decolorize => {}
    }
    Ok(true)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Nested keys joined with `_`, as Loki's json parser names them; arrays and nulls are skipped.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    sanitize(k)
                } else {
                    format!("{prefix}_{}", sanitize(k))
                };
                flatten(&key, v, out);
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.push((prefix.to_string(), s));
            }
        }
    }
}

fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A parsed label that clashes with a stream label gets the `_extracted` suffix.
fn add_extracted(labels: &mut Labels, stream: &Labels, key: &str, value: String) {
    if key.is_empty() {
        return;
    }
    let key = if stream.contains_key(key) {
        format!("{key}_extracted")
    } else {
        key.to_string()
    };
    labels.insert(key, value);
}

/// Go `text/template` as `line_format` uses it, limited to `{{.label}}` and `{{ __line__ }}`.
pub fn render(template: &str, labels: &Labels, line: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("template: line:1: unclosed action in {template:?}"))?;
        let action = after[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        if action == "__line__" {
            out.push_str(line);
        } else if let Some(name) = action.strip_prefix('.')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push_str(labels.get(name).map(String::as_str).unwrap_or_default());
        } else {
            return Err(unsupported(&format!(
                "the template action {{{{{action}}}}}"
            )));
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn filter(f: &LabelFilter, labels: &mut Labels) -> Result<bool, String> {
    Ok(match f {
        LabelFilter::And(a, b) => filter(a, labels)? && filter(b, labels)?,
        LabelFilter::Or(a, b) => filter(a, labels)? || filter(b, labels)?,
        LabelFilter::Cmp { name, op, value } => {
            let actual = labels.get(name).cloned().unwrap_or_default();
            match value {
                FilterValue::Str(want) => match op {
                    CmpOp::Eq | CmpOp::EqEq => actual == *want,
                    CmpOp::Neq => actual != *want,
                    CmpOp::Re | CmpOp::Nre => {
                        let re = Regex::new(&format!("^(?:{want})$")).map_err(|e| e.to_string())?;
                        re.is_match(&actual) == (*op == CmpOp::Re)
                    }
                    _ => false,
                },
                FilterValue::Num(want, _)
                | FilterValue::Duration(want, _)
                | FilterValue::Bytes(want, _) => {
                    let parsed = match value {
                        FilterValue::Duration(..) => duration::parse_go(&actual),
                        FilterValue::Bytes(..) => duration::parse_bytes(&actual),
                        _ => actual.parse::<f64>().ok(),
                    };
                    let Some(v) = parsed else {
                        // Loki keeps the line and marks it, so `| __error__=""` can drop it.
                        labels.insert("__error__".into(), "LabelFilterErr".into());
                        return Ok(true);
                    };
                    match op {
                        CmpOp::Eq | CmpOp::EqEq => v == *want,
                        CmpOp::Neq => v != *want,
                        CmpOp::Gt => v > *want,
                        CmpOp::Gte => v >= *want,
                        CmpOp::Lt => v < *want,
                        CmpOp::Lte => v <= *want,
                        CmpOp::Re | CmpOp::Nre => false,
                    }
                }
            }
        }
    })
}

/// The value an `unwrap` stage reads from the entry's labels.
pub fn unwrapped(log: &LogExpr, labels: &Labels) -> Option<Result<f64, String>> {
    log.pipeline.iter().rev().find_map(|s| match s {
        Stage::Unwrap { conversion, label } => {
            let raw = labels.get(label).cloned().unwrap_or_default();
            let v = match conversion.as_deref() {
                Some("duration") | Some("duration_seconds") => duration::parse_go(&raw),
                Some("bytes") => duration::parse_bytes(&raw),
                _ => raw.parse::<f64>().ok(),
            };
            Some(v.ok_or_else(|| {
                format!("SampleExtractionErr: cannot convert {raw:?} of label {label}")
            }))
        }
        _ => None,
    })
}
