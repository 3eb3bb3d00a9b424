//! Rules for metric collectors (ServiceMonitors Gemscope keeps for Services): input checks, the
//! scrape pool prometheus-operator names, and the overall health of a collector's targets.

use crate::error::{ApiError, Code};
use crate::model::{CollectorConfig, ScrapeHealth, ServicePort};

/// The label Gemscope puts on a Service whose metrics it collects; the ServiceMonitor selects
/// it too, so the monitor matches exactly that Service and not others sharing its labels.
pub const MONITORED_LABEL: &str = "gemscope.io/collect";

/// Milliseconds of a Prometheus duration (`1h30m`, `30s`, `500ms`), as prometheus-operator's
/// CRD accepts it: units in descending order, each at most once.
pub fn duration_ms(s: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if s.is_empty() {
        return None;
    }
    let (mut rest, mut total, mut next_unit) = (s, 0u64, 0usize);
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" must win over "m" followed by an "s" unit.
        let (i, (unit, factor)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())?;
        rest = &rest[unit.len()..];
        total = total.checked_add(n.checked_mul(*factor)?)?;
        next_unit = i + 1;
    }
    Some(total)
}

/// Checks a collector's settings against the Service's named ports; the error names the field.
pub fn validate(
    config: &CollectorConfig,
    ports: &[ServicePort],
) -> Result<CollectorConfig, ApiError> {
    let port = config.port.trim();
    if port.is_empty() {
        return Err(ApiError::invalid("port", Code::NamedPortNeeded));
    }
    if !ports.iter().any(|p| p.name == port) {
        let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
        return Err(if names.is_empty() {
            ApiError::invalid("port", Code::NoNamedPorts).arg(port)
        } else {
            ApiError::invalid("port", Code::NotNamedPort)
                .arg(port)
                .arg(names.join(", "))
        });
    }
    let path = config.path.trim();
    if !path.starts_with('/') {
        return Err(ApiError::invalid("path", Code::PathSlash));
    }
    if path.len() > 256 || path.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
        return Err(ApiError::invalid("path", Code::UrlPath));
    }
    let interval = config.interval.trim();
    match duration_ms(interval) {
        None => Err(ApiError::invalid("interval", Code::ScrapeInterval)),
        Some(ms) if !(1_000..=3_600_000).contains(&ms) => {
            Err(ApiError::invalid("interval", Code::ScrapeIntervalRange))
        }
        Some(_) => Ok(CollectorConfig {
            port: port.to_string(),
            path: path.to_string(),
            interval: interval.to_string(),
        }),
    }
}

/// The scrape pool prometheus-operator generates for the first endpoint of ServiceMonitor
/// `<namespace>/<name>`.
pub fn scrape_pool(namespace: &str, service: &str) -> String {
    format!("serviceMonitor/{namespace}/{service}/0")
}

/// Up when every target is up, down when any is down, unknown when none has been scraped.
pub fn overall(healths: impl IntoIterator<Item = ScrapeHealth>) -> ScrapeHealth {
    let mut seen = ScrapeHealth::Unknown;
    for h in healths {
        match h {
            ScrapeHealth::Down => return ScrapeHealth::Down,
            ScrapeHealth::Up => seen = ScrapeHealth::Up,
            ScrapeHealth::Unknown => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_operator_grammar() {
        let cases = [
            ("30s", Some(30_000)),
            ("1m", Some(60_000)),
            ("1m30s", Some(90_000)),
            ("500ms", Some(500)),
            ("1h", Some(3_600_000)),
            ("2d", Some(172_800_000)),
            ("0", None),
            ("", None),
            ("30", None),
            ("s", None),
            ("30s1m", None),
            ("1m1m", None),
            ("10 s", None),
            ("1.5m", None),
        ];
        for (input, want) in cases {
            assert_eq!(duration_ms(input), want, "{input}");
        }
    }

    fn ports() -> Vec<ServicePort> {
        vec![
            ServicePort {
                name: "http".into(),
                port: 80,
                protocol: "TCP".into(),
            },
            ServicePort {
                name: "metrics".into(),
                port: 9100,
                protocol: "TCP".into(),
            },
        ]
    }

    #[test]
    fn validation_names_the_field() {
        let ok = CollectorConfig {
            port: " metrics ".into(),
            path: "/metrics".into(),
            interval: "15s".into(),
        };
        let v = validate(&ok, &ports()).unwrap();
        assert_eq!(v.port, "metrics");
        let cases = [
            (
                CollectorConfig {
                    port: "".into(),
                    ..ok.clone()
                },
                "port",
                "choose",
            ),
            (
                CollectorConfig {
                    port: "web".into(),
                    ..ok.clone()
                },
                "port",
                "it has: http, metrics",
            ),
            (
                CollectorConfig {
                    path: "metrics".into(),
                    ..ok.clone()
                },
                "path",
                "start with /",
            ),
            (
                CollectorConfig {
                    path: "/m?x=1".into(),
                    ..ok.clone()
                },
                "path",
                "without spaces",
            ),
            (
                CollectorConfig {
                    interval: "soon".into(),
                    ..ok.clone()
                },
                "interval",
                "duration",
            ),
            (
                CollectorConfig {
                    interval: "500ms".into(),
                    ..ok.clone()
                },
                "interval",
                "between",
            ),
            (
                CollectorConfig {
                    interval: "2h".into(),
                    ..ok.clone()
                },
                "interval",
                "between",
            ),
        ];
        for (input, field, text) in cases {
            let e = validate(&input, &ports()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{input:?}");
            assert!(e.message.contains(text), "{input:?}: {}", e.message);
        }
        let e = validate(&ok, &[]).unwrap_err();
        assert!(e.message.contains("no named ports"), "{}", e.message);
    }

    #[test]
    fn overall_health() {
        use ScrapeHealth::*;
        assert_eq!(overall([]), Unknown);
        assert_eq!(overall([Unknown, Up]), Up);
        assert_eq!(overall([Up, Down, Up]), Down);
        assert_eq!(overall([Unknown]), Unknown);
        assert_eq!(scrape_pool("shop", "web"), "serviceMonitor/shop/web/0");
    }
}
