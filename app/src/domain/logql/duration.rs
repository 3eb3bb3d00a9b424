//! Durations and byte sizes as LogQL writes them.

const UNITS_MS: &[(&str, u64)] = &[
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// A Prometheus-style duration (`5m`, `1h30m`, `2d`, `100ms`) in milliseconds: whole numbers,
/// units from largest to smallest, each at most once.
pub fn parse_ms(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total: u64 = 0;
    let mut last_unit = 0usize;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" before "m" so that `100ms` is not read as 100 minutes and a stray `s`.
        let (idx, (unit, factor)) = UNITS_MS
            .iter()
            .enumerate()
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())?;
        if idx < last_unit || (total > 0 && idx == last_unit) {
            return None;
        }
        last_unit = idx;
        total = total.checked_add(n.checked_mul(*factor)?)?;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

/// The canonical spelling of a duration, as Prometheus and Loki print it (`90s` → `1m30s`).
pub fn format_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, factor) in UNITS_MS {
        if rest >= *factor {
            out.push_str(&format!("{}{unit}", rest / factor));
            rest %= factor;
        }
    }
    out
}

/// A Go `time.ParseDuration` value (`2.3s`, `1h15m`, `300us`) in seconds, for label filters.
pub fn parse_go(s: &str) -> Option<f64> {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1e-9),
        ("us", 1e-6),
        ("µs", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    let mut rest = s;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .count();
        if num == 0 {
            return None;
        }
        let n: f64 = rest[..num].parse().ok()?;
        rest = &rest[num..];
        let (unit, factor) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .max_by_key(|(u, _)| u.len())?;
        total += n * factor;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

/// A humanize-style byte size (`20MB`, `1.5KiB`, `10b`) in bytes.
pub fn parse_bytes(s: &str) -> Option<f64> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|i| *i > 0)?;
    let n: f64 = s[..split].parse().ok()?;
    let factor = match s[split..].to_ascii_lowercase().as_str() {
        "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations() {
        for (text, ms) in [
            ("5m", Some(300_000)),
            ("1h30m", Some(5_400_000)),
            ("100ms", Some(100)),
            ("1d", Some(86_400_000)),
            ("30s", Some(30_000)),
            ("1m1h", None),
            ("5", None),
            ("1.5m", None),
            ("", None),
            ("5x", None),
        ] {
            assert_eq!(parse_ms(text), ms, "{text}");
        }
    }

    #[test]
    fn canonical_spelling() {
        for (ms, text) in [
            (300_000, "5m"),
            (90_000, "1m30s"),
            (0, "0s"),
            (86_400_000 + 1, "1d1ms"),
        ] {
            assert_eq!(format_ms(ms), text);
        }
    }

    #[test]
    fn go_durations_and_bytes() {
        assert_eq!(parse_go("2.3s"), Some(2.3));
        assert_eq!(parse_go("1h15m"), Some(4500.0));
        assert_eq!(parse_go("x"), None);
        assert_eq!(parse_bytes("20MB"), Some(20e6));
        assert_eq!(parse_bytes("1KiB"), Some(1024.0));
        assert_eq!(parse_bytes("MB"), None);
        assert_eq!(parse_bytes("3q"), None);
    }
}
