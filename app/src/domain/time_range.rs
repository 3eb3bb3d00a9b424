//! Time ranges as people pick them (the last hour; from–to) and as URLs and dashboards store them
//! (`1h`, `now-30m`, unix seconds).

/// The relative ranges the pickers offer.
pub const RELATIVE: [&str; 10] = [
    "5m", "15m", "30m", "1h", "3h", "6h", "12h", "24h", "2d", "7d",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    /// The last `n` seconds, up to now.
    Last(i64),
    /// Unix seconds.
    Between(i64, i64),
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange::Last(3600)
    }
}

/// `30s`, `5m`, `1h`, `2d`, `1w` → seconds. Only positive whole numbers with one unit.
pub fn duration_secs(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The shortest way to write `secs` with one unit (`3600` → `1h`, `90` → `90s`).
pub fn format_duration(secs: i64) -> String {
    for (unit, size) in [("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)] {
        if secs >= size && secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

impl TimeRange {
    /// (start, end) in unix seconds at `now`.
    pub fn resolve(self, now: i64) -> (i64, i64) {
        match self {
            TimeRange::Last(n) => (now - n, now),
            TimeRange::Between(a, b) => (a, b),
        }
    }

    /// A dashboard's `start`/`end` pair: `now-30m`/`now`, or unix seconds (KubeGems stores both).
    pub fn from_bounds(start: &str, end: &str) -> Option<TimeRange> {
        let end = end.trim();
        if end.is_empty() || end == "now" {
            let ago = start.trim().strip_prefix("now-")?;
            return duration_secs(ago).map(TimeRange::Last);
        }
        let (a, b) = (start.trim().parse().ok()?, end.parse().ok()?);
        (a < b).then_some(TimeRange::Between(a, b))
    }

    /// The inverse of [`TimeRange::from_bounds`].
    pub fn to_bounds(self) -> (String, String) {
        match self {
            TimeRange::Last(n) => (format!("now-{}", format_duration(n)), "now".into()),
            TimeRange::Between(a, b) => (a.to_string(), b.to_string()),
        }
    }

    /// For a URL: `1h`, or `from..to` in unix seconds.
    pub fn to_param(self) -> String {
        match self {
            TimeRange::Last(n) => format_duration(n),
            TimeRange::Between(a, b) => format!("{a}..{b}"),
        }
    }

    pub fn from_param(s: &str) -> Option<TimeRange> {
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            return (a < b).then_some(TimeRange::Between(a, b));
        }
        duration_secs(s).map(TimeRange::Last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("30s", Some(30)),
            ("5m", Some(300)),
            ("1h", Some(3600)),
            ("2d", Some(172800)),
            ("1w", Some(604800)),
            ("0m", None),
            ("-5m", None),
            ("5", None),
            ("m", None),
            ("1h30m", None),
            ("5y", None),
        ];
        for (input, want) in cases {
            assert_eq!(duration_secs(input), want, "{input}");
        }
        for (secs, want) in [(3600, "1h"), (90, "90s"), (86400 * 7, "1w"), (1800, "30m")] {
            assert_eq!(format_duration(secs), want);
        }
    }

    #[test]
    fn dashboard_bounds_round_trip() {
        let cases = [
            (("now-30m", "now"), Some(TimeRange::Last(1800))),
            (("now-1h", ""), Some(TimeRange::Last(3600))),
            (("100", "200"), Some(TimeRange::Between(100, 200))),
            (("200", "100"), None),
            (("yesterday", "now"), None),
        ];
        for ((s, e), want) in cases {
            let got = TimeRange::from_bounds(s, e);
            assert_eq!(got, want, "{s} {e}");
            if let Some(r) = got {
                let (s2, e2) = r.to_bounds();
                assert_eq!(TimeRange::from_bounds(&s2, &e2), Some(r));
            }
        }
    }

    #[test]
    fn url_params_round_trip() {
        for r in [TimeRange::Last(300), TimeRange::Between(1, 2)] {
            assert_eq!(TimeRange::from_param(&r.to_param()), Some(r));
        }
        assert_eq!(TimeRange::from_param("5..1"), None);
        assert_eq!(TimeRange::Last(60).resolve(1000), (940, 1000));
    }
}
