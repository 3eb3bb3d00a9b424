//! HTTP clients for the observability components of a cluster: Prometheus, Alertmanager, Loki, Jaeger.
//! One client layer, used by every feature that talks to them.

pub mod alertmanager;
pub mod endpoint;
pub mod loki;
pub mod probe;
pub mod prometheus;

use std::time::Duration;

/// A shared HTTP client with timeouts suited to calls between services.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("gemscope/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// An error with its causes: reqwest's and kube's Display hide them ("error sending request"),
/// the chain says what happened.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// The parameters of a range query, which Prometheus and Loki name alike (Unix seconds).
pub(crate) fn range_params(
    expr: &str,
    start: i64,
    end: i64,
    step: i64,
) -> [(&'static str, String); 4] {
    [
        ("query", expr.to_string()),
        ("start", start.to_string()),
        ("end", end.to_string()),
        ("step", step.to_string()),
    ]
}

/// Joins a base URL (which may carry a path prefix) and an API path.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn join_keeps_prefixes() {
        assert_eq!(
            super::join("http://p:9090", "/api/v1/rules"),
            "http://p:9090/api/v1/rules"
        );
        assert_eq!(
            super::join("http://p:9090/prom/", "api/v1/rules"),
            "http://p:9090/prom/api/v1/rules"
        );
    }
}
