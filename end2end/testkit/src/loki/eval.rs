//! Evaluating parsed LogQL over the in-memory streams: log queries (streams) and metric queries
//! (range aggregations, vector aggregations, binary operations) at one instant.

use std::collections::BTreeMap;

use app::domain::logql::{BinOp, Grouping, LogExpr, LogRange, MetricExpr, VectorMatching};
use regex::Regex;

use super::pipeline::{Pipeline, unsupported, unwrapped};
use super::store::{Labels, Store, labels_string};

pub const NS_PER_MS: i128 = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<Sample>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// The streams whose labels match the query's stream selector.
fn selected<'a>(
    store: &'a Store,
    log: &'a LogExpr,
) -> impl Iterator<Item = &'a super::store::Stream> {
    store.streams.iter().filter(|s| {
        log.selector.iter().all(|m| {
            m.matches(
                s.labels
                    .get(&m.name)
                    .map(String::as_str)
                    .unwrap_or_default(),
            )
        })
    })
}

/// A stream of a log query's answer: its labels and `(timestamp, line)` entries.
pub type LogStream = (Labels, Vec<(i128, String)>);

/// The entries of a log query between `start` (inclusive) and `end` (exclusive), `limit` of them
/// from the end the direction starts at, grouped into streams by their final labels.
pub fn select_logs(
    store: &Store,
    log: &LogExpr,
    start: i128,
    end: i128,
    limit: usize,
    direction: Direction,
) -> Result<Vec<LogStream>, String> {
    let pipeline = Pipeline::compile(log)?;
    let mut hits: Vec<(i128, String, Labels, String)> = Vec::new();
    for stream in selected(store, log) {
        for e in stream
            .entries
            .iter()
            .filter(|e| e.ts >= start && e.ts < end)
        {
            if let Some((labels, line)) = pipeline.run(&stream.labels, e)? {
                hits.push((e.ts, labels_string(&labels), labels, line));
            }
        }
    }
    hits.sort_by(|a, b| {
        let by_time = match direction {
            Direction::Forward => a.0.cmp(&b.0),
            Direction::Backward => b.0.cmp(&a.0),
        };
        by_time.then_with(|| a.1.cmp(&b.1))
    });
    hits.truncate(limit);
    let mut streams: BTreeMap<String, (Labels, Vec<(i128, String)>)> = BTreeMap::new();
    for (ts, key, labels, line) in hits {
        streams
            .entry(key)
            .or_insert_with(|| (labels, Vec::new()))
            .1
            .push((ts, line));
    }
    Ok(streams.into_values().collect())
}

/// Evaluates a metric expression at `at` (nanoseconds).
pub fn instant(store: &Store, expr: &MetricExpr, at: i128) -> Result<Value, String> {
    Ok(match expr {
        MetricExpr::Number(n) => Value::Scalar(*n),
        MetricExpr::Literal(n) => Value::Vector(vec![Sample {
            labels: Labels::new(),
            value: *n,
        }]),
        MetricExpr::Range {
            func,
            param,
            range,
            grouping,
        } => Value::Vector(range_aggregation(
            store,
            func,
            *param,
            range,
            grouping.as_ref(),
            at,
        )?),
        MetricExpr::Aggregate {
            op,
            grouping,
            param,
            inner,
        } => {
            let Value::Vector(v) = instant(store, inner, at)? else {
                return Err(format!("expected a vector for {op}"));
            };
            Value::Vector(aggregate(op, grouping.as_ref(), *param, v)?)
        }
        MetricExpr::Binary {
            op,
            return_bool,
            matching,
            lhs,
            rhs,
        } => binary(
            *op,
            *return_bool,
            matching.as_ref(),
            instant(store, lhs, at)?,
            instant(store, rhs, at)?,
        )?,
        MetricExpr::LabelReplace {
            inner,
            dst,
            replacement,
            src,
            regex,
        } => {
            let Value::Vector(v) = instant(store, inner, at)? else {
                return Err("expected a vector for label_replace".into());
            };
            let re = Regex::new(&format!("^(?:{regex})$")).map_err(|e| e.to_string())?;
            Value::Vector(
                v.into_iter()
                    .map(|mut s| {
                        let value = s.labels.get(src).cloned().unwrap_or_default();
                        if let Some(caps) = re.captures(&value) {
                            let mut out = String::new();
                            caps.expand(replacement, &mut out);
                            if out.is_empty() {
                                s.labels.remove(dst);
                            } else {
                                s.labels.insert(dst.clone(), out);
                            }
                        }
                        s
                    })
                    .collect(),
            )
        }
    })
}

fn range_aggregation(
    store: &Store,
    func: &str,
    param: Option<f64>,
    range: &LogRange,
    grouping: Option<&Grouping>,
    at: i128,
) -> Result<Vec<Sample>, String> {
    let end = at - range.offset_ms.unwrap_or(0) as i128 * NS_PER_MS;
    let start = end - range.range_ms as i128 * NS_PER_MS;
    let pipeline = Pipeline::compile(&range.log)?;
    let mut groups: BTreeMap<String, (Labels, Vec<f64>)> = BTreeMap::new();
    for stream in selected(store, &range.log) {
        // A sample belongs to the window (start, end].
        for e in stream
            .entries
            .iter()
            .filter(|e| e.ts > start && e.ts <= end)
        {
            let Some((mut labels, line)) = pipeline.run(&stream.labels, e)? else {
                continue;
            };
            if let Some(err) = labels.get("__error__") {
                return Err(format!(
                    "pipeline error: '{err}' for series: '{}'.\nUse a label filter to intentionally skip this error. (e.g | __error__!=\"{err}\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )",
                    labels_string(&labels)
                ));
            }
            let value = match unwrapped(&range.log, &labels) {
                Some(v) => v?,
                None if func.ends_with("bytes_over_time") || func == "bytes_rate" => {
                    line.len() as f64
                }
                None => 1.0,
            };
            labels.remove("__error_details__");
            if let Some(g) = grouping {
                labels = group_labels(&labels, g);
            }
            groups
                .entry(labels_string(&labels))
                .or_insert_with(|| (labels, Vec::new()))
                .1
                .push(value);
        }
    }
    let seconds = range.range_ms as f64 / 1000.0;
    groups
        .into_values()
        .map(|(labels, values)| {
            let n = values.len() as f64;
            let sum: f64 = values.iter().sum();
            let value = match func {
                "count_over_time" => n,
                "rate" => n / seconds,
                "bytes_over_time" | "sum_over_time" => sum,
                "bytes_rate" => sum / seconds,
                "avg_over_time" => sum / n,
                "min_over_time" => values.iter().copied().fold(f64::INFINITY, f64::min),
                "max_over_time" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "first_over_time" => values[0],
                "last_over_time" => values[values.len() - 1],
                "stdvar_over_time" => variance(&values),
                "stddev_over_time" => variance(&values).sqrt(),
                "quantile_over_time" => quantile(param.unwrap_or(0.5), values),
                other => return Err(unsupported(other)),
            };
            Ok(Sample { labels, value })
        })
        .collect()
}

fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
}

fn quantile(q: f64, mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (rank - rank.floor())
}

fn group_labels(labels: &Labels, g: &Grouping) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| g.labels.contains(k) != g.without)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn aggregate(
    op: &str,
    grouping: Option<&Grouping>,
    param: Option<f64>,
    v: Vec<Sample>,
) -> Result<Vec<Sample>, String> {
    let all = Grouping {
        without: false,
        labels: vec![],
    };
    let g = grouping.unwrap_or(&all);
    if matches!(op, "sort" | "sort_desc") {
        let mut v = v;
        v.sort_by(|a, b| a.value.total_cmp(&b.value));
        if op == "sort_desc" {
            v.reverse();
        }
        return Ok(v);
    }
    let mut groups: BTreeMap<String, (Labels, Vec<Sample>)> = BTreeMap::new();
    for s in v {
        let key = group_labels(&s.labels, g);
        groups
            .entry(labels_string(&key))
            .or_insert_with(|| (key, Vec::new()))
            .1
            .push(s);
    }
    let mut out = Vec::new();
    for (labels, samples) in groups.into_values() {
        let values: Vec<f64> = samples.iter().map(|s| s.value).collect();
        let n = values.len() as f64;
        let value = match op {
            "sum" => values.iter().sum(),
            "avg" => values.iter().sum::<f64>() / n,
            "count" => n,
            "min" => values.iter().copied().fold(f64::INFINITY, f64::min),
            "max" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "stdvar" => variance(&values),
            "stddev" => variance(&values).sqrt(),
            "topk" | "bottomk" => {
                let mut samples = samples;
                samples.sort_by(|a, b| a.value.total_cmp(&b.value));
                if op == "topk" {
                    samples.reverse();
                }
                samples.truncate(param.unwrap_or(0.0).max(0.0) as usize);
                out.extend(samples);
                continue;
            }
            other => return Err(unsupported(other)),
        };
        out.push(Sample { labels, value });
    }
    Ok(out)
}

fn arith(op: BinOp, a: f64, b: f64) -> Option<f64> {
    Some(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Mod => a % b,
        BinOp::Pow => a.powf(b),
        BinOp::CmpEq => f64::from(a == b),
        BinOp::Neq => f64::from(a != b),
        BinOp::Gt => f64::from(a > b),
        BinOp::Gte => f64::from(a >= b),
        BinOp::Lt => f64::from(a < b),
        BinOp::Lte => f64::from(a <= b),
        BinOp::Or | BinOp::And | BinOp::Unless => return None,
    })
}

/// One side of a vector-vector match: the labels the sides are matched on.
fn signature(labels: &Labels, m: Option<&VectorMatching>) -> String {
    let kept: Labels = match m {
        Some(m) if m.on => labels
            .iter()
            .filter(|(k, _)| m.labels.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Some(m) => labels
            .iter()
            .filter(|(k, _)| !m.labels.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => labels.clone(),
    };
    labels_string(&kept)
}

fn binary(
    op: BinOp,
    return_bool: bool,
    m: Option<&VectorMatching>,
    lhs: Value,
    rhs: Value,
) -> Result<Value, String> {
    if m.is_some_and(|m| m.group.is_some()) {
        return Err(unsupported("group_left/group_right"));
    }
    let cmp = op.is_comparison();
    // A comparison without `bool` keeps the sample (and its value) or drops it.
    let apply = |a: f64, b: f64, keep: f64| -> Option<f64> {
        let r = arith(op, a, b)?;
        if cmp && !return_bool {
            (r == 1.0).then_some(keep)
        } else {
            Some(r)
        }
    };
    Ok(match (lhs, rhs) {
        (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(arith(op, a, b).unwrap_or(f64::NAN)),
        (Value::Vector(v), Value::Scalar(b)) => Value::Vector(
            v.into_iter()
                .filter_map(|s| apply(s.value, b, s.value).map(|value| Sample { value, ..s }))
                .collect(),
        ),
        (Value::Scalar(a), Value::Vector(v)) => Value::Vector(
            v.into_iter()
                .filter_map(|s| apply(a, s.value, s.value).map(|value| Sample { value, ..s }))
                .collect(),
        ),
        (Value::Vector(l), Value::Vector(r)) => {
            let right: BTreeMap<String, Sample> = r
                .into_iter()
                .map(|s| (signature(&s.labels, m), s))
                .collect();
            let mut out = Vec::new();
            match op {
                BinOp::And | BinOp::Unless => {
                    for s in l {
                        if right.contains_key(&signature(&s.labels, m)) == (op == BinOp::And) {
                            out.push(s);
                        }
                    }
                }
                BinOp::Or => {
                    let left: Vec<String> = l.iter().map(|s| signature(&s.labels, m)).collect();
                    out.extend(l);
                    out.extend(
                        right
                            .into_iter()
                            .filter(|(k, _)| !left.contains(k))
                            .map(|(_, s)| s),
                    );
                }
                _ => {
                    for s in l {
                        if let Some(r) = right.get(&signature(&s.labels, m))
                            && let Some(value) = apply(s.value, r.value, s.value)
                        {
                            out.push(Sample { value, ..s });
                        }
                    }
                }
            }
            Value::Vector(out)
        }
    })
}
