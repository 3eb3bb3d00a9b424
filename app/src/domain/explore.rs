//! The metrics explorer's state as a URL query, so that a link reproduces the view:
//! `?t=env-3&tpl=containers.container.cpuUsage&f=pod%3D~web-.*&range=1h&view=table`.

use crate::domain::time_range::TimeRange;
use crate::model::{FilterOp, LabelFilter, MetricExpr, QueryTarget, RangeQuery, TemplateKey};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExploreState {
    pub target: Option<QueryTarget>,
    pub template: Option<TemplateKey>,
    pub expr: String,
    pub filters: Vec<LabelFilter>,
    pub range: TimeRange,
    pub table: bool,
}

pub fn target_param(t: QueryTarget) -> String {
    match t {
        QueryTarget::Environment(id) => format!("env-{id}"),
        QueryTarget::Cluster(id) => format!("cluster-{id}"),
    }
}

pub fn parse_target(s: &str) -> Option<QueryTarget> {
    if let Some(id) = s.strip_prefix("env-") {
        return id.parse().ok().map(QueryTarget::Environment);
    }
    s.strip_prefix("cluster-")?
        .parse()
        .ok()
        .map(QueryTarget::Cluster)
}

/// `pod=~web-.*`: the label name, the operator, then the value as typed.
pub fn filter_param(f: &LabelFilter) -> String {
    format!("{}{}{}", f.name, f.op.as_str(), f.value)
}

pub fn parse_filter(s: &str) -> Option<LabelFilter> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|i| *i > 0)?;
    let (name, rest) = s.split_at(end);
    // Two-character operators first, so `!=` is not read as `!` and `=`.
    let op = [FilterOp::Re, FilterOp::NotRe, FilterOp::Ne, FilterOp::Eq]
        .into_iter()
        .find(|op| rest.starts_with(op.as_str()))?;
    Some(LabelFilter {
        name: name.into(),
        op,
        value: rest[op.as_str().len()..].into(),
    })
}

/// Percent-encodes everything but unreserved characters: `+` and `&` in PromQL must survive.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ExploreState {
    /// Reads the state from URL parameters (`get_all` returns every value of a key).
    pub fn from_params(
        get: impl Fn(&str) -> Option<String>,
        get_all: impl Fn(&str) -> Vec<String>,
    ) -> Self {
        ExploreState {
            target: get("t").as_deref().and_then(parse_target),
            template: get("tpl").as_deref().and_then(TemplateKey::parse),
            expr: get("q").unwrap_or_default(),
            filters: get_all("f")
                .iter()
                .filter_map(|f| parse_filter(f))
                .collect(),
            range: get("range")
                .as_deref()
                .and_then(TimeRange::from_param)
                .unwrap_or_default(),
            table: get("view").as_deref() == Some("table"),
        }
    }

    /// `?t=…&…`, in a fixed order so equal states give equal URLs.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(t) = self.target {
            pairs.push(("t", target_param(t)));
        }
        match &self.template {
            Some(k) => pairs.push(("tpl", k.to_string())),
            None if !self.expr.is_empty() => pairs.push(("q", self.expr.clone())),
            None => {}
        }
        pairs.extend(self.filters.iter().map(|f| ("f", filter_param(f))));
        pairs.push(("range", self.range.to_param()));
        if self.table {
            pairs.push(("view", "table".into()));
        }
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("?{}", body.join("&"))
    }

    pub fn metric_expr(&self) -> MetricExpr {
        MetricExpr {
            expr: self.expr.clone(),
            template: self.template.clone(),
            filters: self.filters.clone(),
        }
    }

    /// The query to run at `now`, once there is a target and something to query.
    pub fn range_query(&self, now: i64) -> Option<RangeQuery> {
        let target = self.target?;
        if self.template.is_none() && self.expr.trim().is_empty() {
            return None;
        }
        let (start, end) = self.range.resolve(now);
        Some(RangeQuery {
            target,
            query: self.metric_expr(),
            start,
            end,
            step: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Decodes a query string the way a browser does, into a multimap.
    fn decode(q: &str) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for pair in q.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            let mut bytes = Vec::new();
            let mut it = v.bytes();
            while let Some(b) = it.next() {
                if b == b'%' {
                    let hex: String = [it.next().unwrap() as char, it.next().unwrap() as char]
                        .iter()
                        .collect();
                    bytes.push(u8::from_str_radix(&hex, 16).unwrap());
                } else {
                    bytes.push(b);
                }
            }
            out.entry(k.into())
                .or_default()
                .push(String::from_utf8(bytes).unwrap());
        }
        out
    }

    #[test]
    fn state_round_trips_through_the_url() {
        let states = [
            ExploreState {
                target: Some(QueryTarget::Environment(3)),
                expr: r#"sum(rate(x{a=~"b+c&d"}[5m])) by (pod) / 2"#.into(),
                filters: vec![
                    LabelFilter {
                        name: "pod".into(),
                        op: FilterOp::Re,
                        value: "web-.*|api".into(),
                    },
                    LabelFilter {
                        name: "container".into(),
                        op: FilterOp::Ne,
                        value: "".into(),
                    },
                ],
                range: TimeRange::Between(100, 200),
                table: true,
                ..Default::default()
            },
            ExploreState {
                target: Some(QueryTarget::Cluster(1)),
                template: TemplateKey::parse("system.node.cpuUsagePercent"),
                range: TimeRange::Last(86400),
                ..Default::default()
            },
            ExploreState::default(),
        ];
        for s in states {
            let q = s.to_query();
            let m = decode(&q);
            let back = ExploreState::from_params(
                |k| m.get(k).and_then(|v| v.first().cloned()),
                |k| m.get(k).cloned().unwrap_or_default(),
            );
            assert_eq!(back, s, "{q}");
        }
    }

    #[test]
    fn filters_parse_two_character_operators_first() {
        let cases = [
            ("pod=web", Some(("pod", FilterOp::Eq, "web"))),
            ("pod!=web", Some(("pod", FilterOp::Ne, "web"))),
            ("pod=~a=b", Some(("pod", FilterOp::Re, "a=b"))),
            ("pod!~", Some(("pod", FilterOp::NotRe, ""))),
            ("=x", None),
            ("pod", None),
        ];
        for (input, want) in cases {
            let got = parse_filter(input).map(|f| (f.name, f.op, f.value));
            let want = want.map(|(n, o, v)| (n.to_string(), o, v.to_string()));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn nothing_to_run_without_a_target_or_query() {
        let mut s = ExploreState::default();
        assert_eq!(s.range_query(1000), None);
        s.target = Some(QueryTarget::Environment(1));
        assert_eq!(s.range_query(1000), None);
        s.expr = "up".into();
        let q = s.range_query(1000).unwrap();
        assert_eq!((q.start, q.end, q.step), (-2600, 1000, None));
    }
}
