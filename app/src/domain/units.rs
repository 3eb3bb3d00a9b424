//! Units of PromQL templates (`bytes-KB`, `duration-ms`, `percent-0-100`, …), written the way
//! KubeGems writes them: parsing, the suffix shown after thresholds, the factor that turns a value
//! in the unit into the base unit, and human formatting of values for charts and tables.

use crate::error::{ApiError, Code};
use std::fmt;

const BYTE_SCALES: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
/// Binary prefixes for display: KubeGems' byte units are 1024-based.
const BINARY_NAMES: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/// Time units and their length in seconds.
const TIME_UNITS: [(&str, f64); 7] = [
    ("us", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86_400.0),
    ("w", 604_800.0),
];

#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// `""`: a plain number.
    None,
    /// `short`: a plain number shown with K/M/G suffixes.
    Short,
    /// `bytes-<B|KB|…|PB>`: index into the 1024-based scale.
    Bytes(usize),
    /// `bytes/sec-<B/s|KB/s|…>`.
    BytesPerSec(usize),
    /// `duration-<us|ms|s|m|h|d|w>`: index into the time units.
    Duration(usize),
    /// `percent-0-100`: the value is already a percentage.
    Percent,
    /// `percent-0.0-1.0`: a ratio, shown ×100.
    Ratio,
    /// `custom-<text>`: the value as is, followed by the text.
    Custom(String),
}

/// Every unit the unit picker offers, in display order.
pub fn catalogue() -> Vec<Unit> {
    let mut out = vec![Unit::None, Unit::Short];
    out.extend((0..BYTE_SCALES.len()).map(Unit::Bytes));
    out.extend((0..BYTE_SCALES.len()).map(Unit::BytesPerSec));
    out.extend((0..TIME_UNITS.len()).map(Unit::Duration));
    out.extend([Unit::Percent, Unit::Ratio]);
    out
}

/// A unit name that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit {0:?}")]
pub struct UnknownUnit(pub String);

impl Unit {
    /// The unit of a form field: an unknown one is an error naming the field.
    pub fn check(field: &str, s: &str) -> Result<Unit, ApiError> {
        Unit::parse(s)
            .map_err(|e| ApiError::invalid(field, Code::UnknownUnit).arg(format!("{:?}", e.0)))
    }

    pub fn parse(s: &str) -> Result<Unit, UnknownUnit> {
        let s = s.trim();
        let unknown = || UnknownUnit(s.to_string());
        Ok(match s {
            "" => Unit::None,
            "short" => Unit::Short,
            "percent-0-100" => Unit::Percent,
            "percent-0.0-1.0" => Unit::Ratio,
            _ => {
                let (kind, rest) = s.split_once('-').ok_or_else(unknown)?;
                match kind {
                    "bytes" => Unit::Bytes(
                        BYTE_SCALES
                            .iter()
                            .position(|u| *u == rest)
                            .ok_or_else(unknown)?,
                    ),
                    "bytes/sec" => Unit::BytesPerSec(
                        BYTE_SCALES
                            .iter()
                            .position(|u| format!("{u}/s") == rest)
                            .ok_or_else(unknown)?,
                    ),
                    "duration" => Unit::Duration(
                        TIME_UNITS
                            .iter()
                            .position(|(u, _)| *u == rest)
                            .ok_or_else(unknown)?,
                    ),
                    "custom" if !rest.is_empty() => Unit::Custom(rest.to_string()),
                    _ => return Err(unknown()),
                }
            }
        })
    }

    /// What is shown after a number in this unit (`KB`, `ms`, `%`).
    pub fn suffix(&self) -> String {
        match self {
            Unit::None | Unit::Short => String::new(),
            Unit::Bytes(i) => BYTE_SCALES[*i].into(),
            Unit::BytesPerSec(i) => format!("{}/s", BYTE_SCALES[*i]),
            Unit::Duration(i) => TIME_UNITS[*i].0.into(),
            Unit::Percent | Unit::Ratio => "%".into(),
            Unit::Custom(t) => t.clone(),
        }
    }

    /// Multiplying a value in this unit by the factor gives it in the base unit (bytes, bytes/s,
    /// seconds); percentages and plain numbers are 1.
    pub fn factor(&self) -> f64 {
        match self {
            Unit::Bytes(i) | Unit::BytesPerSec(i) => 1024f64.powi(*i as i32),
            Unit::Duration(i) => TIME_UNITS[*i].1,
            _ => 1.0,
        }
    }

    /// A value for a chart axis, legend or table: `1536` in `bytes-B` is `1.5 KiB`.
    pub fn format(&self, value: f64) -> String {
        if !value.is_finite() {
            return format!("{value}");
        }
        match self {
            Unit::None => trim(value, 3),
            Unit::Short => short(value),
            Unit::Bytes(_) => bytes(value * self.factor(), ""),
            Unit::BytesPerSec(_) => bytes(value * self.factor(), "/s"),
            Unit::Duration(_) => duration(value * self.factor()),
            Unit::Percent => format!("{}%", trim(value, 2)),
            Unit::Ratio => format!("{}%", trim(value * 100.0, 2)),
            Unit::Custom(t) => format!("{} {t}", trim(value, 3)),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::None => Ok(()),
            Unit::Short => f.write_str("short"),
            Unit::Bytes(i) => write!(f, "bytes-{}", BYTE_SCALES[*i]),
            Unit::BytesPerSec(i) => write!(f, "bytes/sec-{}/s", BYTE_SCALES[*i]),
            Unit::Duration(i) => write!(f, "duration-{}", TIME_UNITS[*i].0),
            Unit::Percent => f.write_str("percent-0-100"),
            Unit::Ratio => f.write_str("percent-0.0-1.0"),
            Unit::Custom(t) => write!(f, "custom-{t}"),
        }
    }
}

/// At most `decimals` decimals, without trailing zeros.
fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

fn short(v: f64) -> String {
    const SI: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")];
    SI.iter()
        .find(|(f, _)| v.abs() >= *f)
        .map(|(f, s)| format!("{}{s}", trim(v / f, 2)))
        .unwrap_or_else(|| trim(v, 2))
}

fn bytes(mut v: f64, per: &str) -> String {
    let mut i = 0;
    while v.abs() >= 1024.0 && i < BINARY_NAMES.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{} {}{per}", trim(v, 1), BINARY_NAMES[i])
}

fn duration(seconds: f64) -> String {
    let steps: [(f64, &str); 7] = [
        (604_800.0, "w"),
        (86_400.0, "d"),
        (3600.0, "h"),
        (60.0, "min"),
        (1.0, "s"),
        (1e-3, "ms"),
        (1e-6, "µs"),
    ];
    if seconds == 0.0 {
        return "0 s".into();
    }
    let (size, name) = steps
        .iter()
        .find(|(size, _)| seconds.abs() >= *size)
        .copied()
        .unwrap_or((1e-6, "µs"));
    format!("{} {name}", trim(seconds / size, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_kubegems_uses_and_prints_it_back() {
        for (text, unit, suffix, factor) in [
            ("", Unit::None, "", 1.0),
            ("short", Unit::Short, "", 1.0),
            ("bytes-B", Unit::Bytes(0), "B", 1.0),
            ("bytes-MB", Unit::Bytes(2), "MB", 1_048_576.0),
            ("bytes/sec-B/s", Unit::BytesPerSec(0), "B/s", 1.0),
            ("bytes/sec-KB/s", Unit::BytesPerSec(1), "KB/s", 1024.0),
            ("duration-us", Unit::Duration(0), "us", 1e-6),
            ("duration-ms", Unit::Duration(1), "ms", 1e-3),
            ("duration-s", Unit::Duration(2), "s", 1.0),
            ("duration-h", Unit::Duration(4), "h", 3600.0),
            ("percent-0-100", Unit::Percent, "%", 1.0),
            ("percent-0.0-1.0", Unit::Ratio, "%", 1.0),
            ("custom-req", Unit::Custom("req".into()), "req", 1.0),
        ] {
            let parsed = Unit::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed, unit, "{text}");
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parsed.suffix(), suffix, "{text}");
            assert_eq!(parsed.factor(), factor, "{text}");
        }
    }

    #[test]
    fn refuses_unknown_units() {
        for text in [
            "bytes",
            "bytes-KiB",
            "bytes/sec-KB",
            "duration-min",
            "percent",
            "custom-",
            "meters",
        ] {
            assert!(Unit::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn formats_values_for_people() {
        for (unit, value, shown) in [
            ("bytes-B", 1536.0, "1.5 KiB"),
            ("bytes-B", 1023.0, "1023 B"),
            ("bytes-MB", 2048.0, "2 GiB"),
            ("bytes/sec-B/s", 3.0 * 1024.0 * 1024.0, "3 MiB/s"),
            ("duration-ms", 1500.0, "1.5 s"),
            ("duration-s", 90.0, "1.5 min"),
            ("duration-s", 0.25, "250 ms"),
            ("duration-us", 12.0, "12 µs"),
            ("duration-s", 0.0, "0 s"),
            ("percent-0-100", 12.345, "12.35%"),
            ("percent-0.0-1.0", 0.5, "50%"),
            ("short", 1500.0, "1.5K"),
            ("short", 2_000_000.0, "2M"),
            ("short", 42.0, "42"),
            ("", 0.12345, "0.123"),
            ("custom-req", 3.0, "3 req"),
        ] {
            assert_eq!(
                Unit::parse(unit).unwrap().format(value),
                shown,
                "{unit} {value}"
            );
        }
    }

    #[test]
    fn the_picker_offers_each_unit_once_and_all_parse() {
        let all = catalogue();
        for u in &all {
            assert_eq!(Unit::parse(&u.to_string()).as_ref(), Ok(u));
        }
        let mut names: Vec<String> = all.iter().map(ToString::to_string).collect();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
