//! Input checks. Each returns an `ApiError` that names the field, so the browser can show the
//! message beside the input and the server refuses the same input with the same words.

use crate::error::{ApiError, Code};
use crate::model::{ClusterInput, ClusterKind, NewUser, ServiceRef};

/// Names that end up as Kubernetes labels or namespaces follow RFC 1123 label rules.
pub fn dns_label(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid(field, Code::Empty));
    }
    if value.len() > 63 {
        return Err(ApiError::invalid(field, Code::TooLong).arg(63));
    }
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok_ends = !value.starts_with('-') && !value.ends_with('-');
    if !ok_chars || !ok_ends {
        return Err(ApiError::invalid(field, Code::DnsLabel));
    }
    Ok(())
}

pub fn username(value: &str) -> Result<(), ApiError> {
    let field = "username";
    if value.is_empty() {
        return Err(ApiError::invalid(field, Code::Empty));
    }
    if value.len() > 64 {
        return Err(ApiError::invalid(field, Code::TooLong).arg(64));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::invalid(field, Code::UsernameChars));
    }
    Ok(())
}

pub fn password(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().count() < 8 {
        return Err(ApiError::invalid(field, Code::TooShort).arg(8));
    }
    if value.len() > 1024 {
        return Err(ApiError::invalid(field, Code::TooManyBytes).arg(1024));
    }
    Ok(())
}

pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::invalid(field, Code::TooLong).arg(max));
    }
    Ok(())
}

pub fn email(value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Ok(());
    }
    text("email", value, 254)?;
    match value.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(()),
        _ => Err(ApiError::invalid("email", Code::NotEmail)),
    }
}

/// An optional http(s) URL.
pub fn url(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Ok(());
    }
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(ApiError::invalid(field, Code::HttpUrl)),
    }
}

pub fn new_user(u: &NewUser) -> Result<(), ApiError> {
    username(&u.username)?;
    text("display_name", &u.display_name, 128)?;
    email(&u.email)?;
    password("password", &u.password)
}

/// `namespace/service:port`, empty (the default) or `none`.
fn service_ref(field: &'static str, v: &str) -> Result<(), ApiError> {
    if v.is_empty() || v == "none" || ServiceRef::parse(v).is_some() {
        return Ok(());
    }
    Err(ApiError::invalid(field, Code::ServiceRef))
}

pub fn cluster_input(c: &ClusterInput) -> Result<(), ApiError> {
    dns_label("name", &c.name)?;
    text("description", &c.description, 1024)?;
    let s = &c.settings;
    url("settings.api_server", &s.api_server)?;
    url("settings.prometheus_url", &s.prometheus_url)?;
    url("settings.alertmanager_url", &s.alertmanager_url)?;
    url("settings.loki_url", &s.loki_url)?;
    url("settings.jaeger_url", &s.jaeger_url)?;
    url("settings.gemscope_url", &s.gemscope_url)?;
    for (field, v) in [
        ("settings.alert_group_wait", &s.alert_group_wait),
        ("settings.alert_group_interval", &s.alert_group_interval),
    ] {
        let ok = v.is_empty()
            || crate::domain::logql::duration::parse_ms(v).is_some_and(|ms| ms >= 1000);
        if !ok {
            return Err(ApiError::invalid(field, Code::DurationAtLeastSecond));
        }
    }
    for (field, v) in [
        ("settings.prometheus_service", &s.prometheus_service),
        ("settings.alertmanager_service", &s.alertmanager_service),
        ("settings.loki_service", &s.loki_service),
        ("settings.jaeger_service", &s.jaeger_service),
    ] {
        service_ref(field, v)?;
    }
    for (field, v) in [
        ("settings.monitoring_namespace", &s.monitoring_namespace),
        ("settings.logging_namespace", &s.logging_namespace),
    ] {
        if !v.is_empty() {
            dns_label(field, v)?;
        }
    }
    match c.kind {
        ClusterKind::Kubernetes => {
            if let Some(k) = &c.kubeconfig
                && !k.is_empty()
                && !k.contains("clusters")
            {
                return Err(ApiError::invalid("kubeconfig", Code::NotKubeconfig));
            }
        }
        ClusterKind::Standalone => {
            if s.prometheus_url.is_empty() {
                return Err(ApiError::invalid(
                    "settings.prometheus_url",
                    Code::RequiredStandalone,
                ));
            }
            for (field, path) in [
                ("settings.rules_dir", &s.rules_dir),
                ("settings.loki_rules_dir", &s.loki_rules_dir),
                (
                    "settings.alertmanager_config_path",
                    &s.alertmanager_config_path,
                ),
            ] {
                if !path.is_empty() && !path.starts_with('/') {
                    return Err(ApiError::invalid(field, Code::AbsolutePath));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        let cases: &[(&str, bool)] = &[
            ("prod", true),
            ("team-a1", true),
            ("a", true),
            ("", false),
            ("-a", false),
            ("a-", false),
            ("Upper", false),
            ("under_score", false),
            ("dot.ted", false),
            (&"x".repeat(63), true),
            (&"x".repeat(64), false),
        ];
        for (value, ok) in cases {
            let r = dns_label("name", value);
            assert_eq!(r.is_ok(), *ok, "{value:?}");
            if let Err(e) = r {
                assert_eq!(e.field.as_deref(), Some("name"));
            }
        }
    }

    #[test]
    fn urls() {
        let cases = [
            ("", true),
            ("http://127.0.0.1:9090", true),
            ("https://prom.example.com/base", true),
            ("ftp://x", false),
            ("http://", false),
            ("http:///path", false),
            ("http://a b", false),
            ("prometheus:9090", false),
        ];
        for (value, ok) in cases {
            assert_eq!(url("u", value).is_ok(), ok, "{value:?}");
        }
    }

    #[test]
    fn users() {
        let good = NewUser {
            username: "alice.w".into(),
            display_name: "Alice".into(),
            email: "alice@example.com".into(),
            password: "correct horse".into(),
            is_system_admin: false,
        };
        assert!(new_user(&good).is_ok());
        let cases = [
            (
                NewUser {
                    username: "".into(),
                    ..good.clone()
                },
                "username",
            ),
            (
                NewUser {
                    username: "a b".into(),
                    ..good.clone()
                },
                "username",
            ),
            (
                NewUser {
                    email: "nope".into(),
                    ..good.clone()
                },
                "email",
            ),
            (
                NewUser {
                    password: "short".into(),
                    ..good.clone()
                },
                "password",
            ),
        ];
        for (u, field) in cases {
            assert_eq!(new_user(&u).unwrap_err().field.as_deref(), Some(field));
        }
    }

    #[test]
    fn standalone_clusters_need_prometheus_and_absolute_paths() {
        let mut c = ClusterInput {
            name: "local".into(),
            kind: ClusterKind::Standalone,
            ..Default::default()
        };
        assert_eq!(
            cluster_input(&c).unwrap_err().field.as_deref(),
            Some("settings.prometheus_url")
        );
        c.settings.prometheus_url = "http://127.0.0.1:9090".into();
        assert!(cluster_input(&c).is_ok());
        c.settings.rules_dir = "relative/dir".into();
        assert_eq!(
            cluster_input(&c).unwrap_err().field.as_deref(),
            Some("settings.rules_dir")
        );
    }

    #[test]
    fn service_refs_name_their_field() {
        for (v, ok) in [
            ("", true),
            ("none", true),
            ("kubegems-monitoring/prometheus:9090", true),
            ("observability/jaeger-query:http-query", true),
            ("prometheus:9090", false),
            ("ns/Prom:9090", false),
            ("ns/prom:", false),
            ("ns/prom:90/x", false),
        ] {
            let mut c = ClusterInput {
                name: "prod".into(),
                kind: ClusterKind::Kubernetes,
                ..Default::default()
            };
            c.settings.loki_service = v.into();
            let got = cluster_input(&c);
            assert_eq!(got.is_ok(), ok, "{v}");
            if !ok {
                assert_eq!(
                    got.unwrap_err().field.as_deref(),
                    Some("settings.loki_service")
                );
            }
        }
    }

    #[test]
    fn kubeconfig_must_look_like_one() {
        let c = ClusterInput {
            name: "prod".into(),
            kind: ClusterKind::Kubernetes,
            kubeconfig: Some("hello".into()),
            ..Default::default()
        };
        assert_eq!(
            cluster_input(&c).unwrap_err().field.as_deref(),
            Some("kubeconfig")
        );
    }
}
