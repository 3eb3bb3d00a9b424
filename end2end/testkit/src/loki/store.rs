//! Log streams in memory, and what Loki 3.4 adds on ingestion: `service_name` as a stream label
//! and `detected_level` as structured metadata.

use std::collections::BTreeMap;

use serde_json::Value;

pub type Labels = BTreeMap<String, String>;

/// Loki's `reject_old_samples_max_age` default (168h).
pub const MAX_AGE_NS: i128 = 168 * 3600 * 1_000_000_000;

/// Labels Loki 3 looks at, in order, to name the service when a stream has none.
const SERVICE_LABELS: &[&str] = &[
    "service_name",
    "service",
    "app",
    "application",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "component",
    "workload",
    "job",
];

#[derive(Debug, Clone)]
pub struct Entry {
    pub ts: i128,
    pub line: String,
    /// Structured metadata (`detected_level`).
    pub metadata: Labels,
}

#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub labels: Labels,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Default)]
pub struct Store {
    pub streams: Vec<Stream>,
}

/// `{a="1", b="2"}`, as Loki prints a label set in messages.
pub fn labels_string(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", app::domain::logql::quote(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

pub fn rfc3339(ns: i128) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ns)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl Store {
    /// Accepts a JSON push body; the error text is what Loki answers with a 400.
    pub fn push(&mut self, body: &[u8], now_ns: i128) -> Result<(), String> {
        let parsed: Value = serde_json::from_slice(body).map_err(|e| {
            format!(
                "loghttp.PushRequest.Streams: []loghttp.LogProtoStream: unmarshalerDecoder: {e}"
            )
        })?;
        let streams = parsed
            .get("streams")
            .and_then(Value::as_array)
            .ok_or("loghttp.PushRequest.Streams: expected an array of streams")?;
        let mut accepted: Vec<(Labels, Vec<(i128, String)>)> = Vec::new();
        for s in streams {
            let mut labels: Labels = s
                .get("stream")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if !labels.contains_key("service_name") {
                let service = SERVICE_LABELS
                    .iter()
                    .find_map(|l| labels.get(*l).cloned())
                    .unwrap_or_else(|| "unknown_service".into());
                labels.insert("service_name".into(), service);
            }
            let mut entries = Vec::new();
            for v in s
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (ts, line) = match v.as_array().map(Vec::as_slice) {
                    Some([ts, line, ..]) => (ts, line),
                    _ => return Err("loghttp.PushRequest.Streams: []loghttp.LogProtoStream: unmarshalerDecoder: each value must be [timestamp, line]".into()),
                };
                let ts: i128 = ts
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| format!("loghttp.PushRequest.Streams: []loghttp.LogProtoStream: unmarshalerDecoder: Value looks like Number/Boolean/None, but can't find its end: {ts}"))?;
                let line = line.as_str().unwrap_or_default().to_string();
                if ts < now_ns - MAX_AGE_NS {
                    return Err(format!(
                        "entry for stream '{}' has timestamp too old: {}, oldest acceptable timestamp is: {}\n",
                        labels_string(&labels),
                        rfc3339(ts),
                        rfc3339(now_ns - MAX_AGE_NS)
                    ));
                }
                entries.push((ts, line));
            }
            accepted.push((labels, entries));
        }
        for (labels, entries) in accepted {
            let idx = match self.streams.iter().position(|s| s.labels == labels) {
                Some(i) => i,
                None => {
                    self.streams.push(Stream {
                        labels,
                        entries: Vec::new(),
                    });
                    self.streams.len() - 1
                }
            };
            let stream = &mut self.streams[idx];
            for (ts, line) in entries {
                let mut metadata = Labels::new();
                if !stream.labels.contains_key("level") {
                    metadata.insert("detected_level".into(), detect_level(&line).into());
                }
                stream.entries.push(Entry { ts, line, metadata });
            }
            stream.entries.sort_by_key(|e| e.ts);
        }
        Ok(())
    }
}

const LEVEL_KEYS: &[&str] = &["level", "lvl", "severity", "loglevel"];

/// The level Loki 3 detects: from a `level` field of JSON or logfmt lines, else from keywords.
pub fn detect_level(line: &str) -> &'static str {
    let field = if line.trim_start().starts_with('{') {
        serde_json::from_str::<serde_json::Map<String, Value>>(line)
            .ok()
            .map(|m| {
                m.iter()
                    .find(|(k, _)| LEVEL_KEYS.contains(&k.to_ascii_lowercase().as_str()))
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            })
    } else if is_logfmt(line) {
        Some(
            logfmt(line)
                .into_iter()
                .find(|(k, _)| LEVEL_KEYS.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(_, v)| v),
        )
    } else {
        None
    };
    match field {
        Some(Some(v)) => normalize_level(&v),
        Some(None) => "unknown",
        None => keyword_level(line),
    }
}

fn normalize_level(v: &str) -> &'static str {
    match v.to_ascii_lowercase().as_str() {
        "trace" | "trc" => "trace",
        "debug" | "dbg" => "debug",
        "info" | "inf" => "info",
        "warn" | "warning" | "wrn" => "warn",
        "error" | "err" | "eror" => "error",
        "critical" | "fatal" | "crit" => "critical",
        _ => "unknown",
    }
}

fn keyword_level(line: &str) -> &'static str {
    let has = |words: &[&str]| words.iter().any(|w| line.contains(w));
    if has(&["info", "INFO"]) {
        "info"
    } else if has(&["err:", "ERR:", "error", "ERROR"]) {
        "error"
    } else if has(&["warn", "WARN"]) {
        "warn"
    } else if has(&["CRITICAL:", "critical:"]) {
        "critical"
    } else if has(&["debug:", "DEBUG:"]) {
        "debug"
    } else {
        "unknown"
    }
}

fn is_logfmt(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|first| first.contains('=') && !first.starts_with('='))
}

/// `key=value key2="quoted value"` pairs.
pub fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        if !key.is_empty() {
            out.push((key, value));
        } else {
            chars.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_as_loki_detects_them() {
        for (line, level) in [
            (r#"level=warn msg="slow request" duration=2.3s"#, "warn"),
            (r#"level=info msg="request served""#, "info"),
            ("ERROR failed to load config", "error"),
            (
                "panic: runtime error: index out of range [3] with length 3",
                "error",
            ),
            ("retrying in 5s", "unknown"),
            (r#"{"reason":"BackOff","type":"Warning"}"#, "unknown"),
            (r#"{"level":"error"}"#, "error"),
        ] {
            assert_eq!(detect_level(line), level, "{line}");
        }
    }

    #[test]
    fn logfmt_pairs() {
        assert_eq!(
            logfmt(r#"level=info msg="a \"b\" c" n=1 flag"#),
            vec![
                ("level".to_string(), "info".to_string()),
                ("msg".into(), "a \"b\" c".into()),
                ("n".into(), "1".into()),
                ("flag".into(), "".into()),
            ]
        );
    }
}
