//! HTTP clients for the observability components of a cluster: Prometheus, Alertmanager, Loki, Jaeger.
//! One client layer, used by every feature that talks to them.

pub mod endpoint;
pub mod probe;

use std::time::Duration;

/// A shared HTTP client with timeouts suited to calls between services.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("gemscope/", env!("CARGO_PKG_VERSION")))
        .build()?)
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
