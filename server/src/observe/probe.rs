//! Connection tests: is each configured endpoint answering, and which version is it.

use std::time::Instant;

use app::model::{Component, EndpointHealth};
use serde_json::Value;

use super::endpoint::Endpoint;

/// Where each component reports its version, and where in the JSON (Jaeger reports none).
fn version_api(component: Component) -> (&'static str, &'static [&'static str]) {
    match component {
        Component::Prometheus => ("/api/v1/status/buildinfo", &["data", "version"]),
        Component::Alertmanager => ("/api/v2/status", &["versionInfo", "version"]),
        Component::Jaeger => ("/api/services", &[]),
        Component::Loki => ("/loki/api/v1/status/buildinfo", &["version"]),
    }
}

fn dig<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// Probes one component. Never fails: an unreachable endpoint is a result, with its error.
pub async fn probe(
    http: &reqwest::Client,
    component: Component,
    endpoint: &Endpoint,
    optional: bool,
) -> EndpointHealth {
    let (path, version_at) = version_api(component);
    let started = Instant::now();
    let outcome = async {
        let body = endpoint.get(http, path).await.map_err(|e| e.to_string())?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|_| format!("{path} did not answer JSON; is this {component}?"))?;
        if version_at.is_empty() {
            return Ok(String::new());
        }
        dig(&json, version_at)
            .map(str::to_string)
            .ok_or_else(|| format!("{path} answered without a version; is this {component}?"))
    }
    .await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    EndpointHealth::from_outcome(
        component.as_str(),
        endpoint.describe(),
        endpoint.via(),
        optional,
        outcome,
        latency_ms,
    )
}

/// Probes every endpoint, concurrently.
pub async fn probe_all(
    http: &reqwest::Client,
    endpoints: &[(Component, Endpoint, bool)],
) -> Vec<EndpointHealth> {
    let probes = endpoints
        .iter()
        .map(|(component, endpoint, optional)| probe(http, *component, endpoint, *optional));
    futures_util::future::join_all(probes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_each_components_shape() {
        // The shapes Prometheus 2.42, Alertmanager 0.25 and Loki 3.4 answer with; the tests against
        // the real servers (tests/clusters.rs) check the same paths end to end.
        let prom = serde_json::json!({"status": "success", "data": {"version": "2.42.0+ds", "goVersion": "go1.19.8"}});
        let am = serde_json::json!({"cluster": {"status": "disabled"}, "versionInfo": {"version": "0.25.0"}});
        let loki = serde_json::json!({"version": "3.4.6", "revision": "y"});
        assert_eq!(
            dig(&prom, version_api(Component::Prometheus).1),
            Some("2.42.0+ds")
        );
        assert_eq!(
            dig(&am, version_api(Component::Alertmanager).1),
            Some("0.25.0")
        );
        assert_eq!(dig(&loki, version_api(Component::Loki).1), Some("3.4.6"));
        assert_eq!(dig(&loki, version_api(Component::Prometheus).1), None);
        assert!(version_api(Component::Jaeger).1.is_empty());
    }
}
