//! The Kubernetes half of a connection test: the API server's version and which of the monitoring
//! and logging kinds it serves.

use std::time::Instant;

use app::model::{ClusterSettings, CrdPresence, EndpointHealth};

use super::crds::{LOGGING_KINDS, MONITORING_KINDS};
use super::describe;
use crate::clusters::error::BackendResult;

pub const MONITORING_GROUP: &str = "monitoring.coreos.com";
pub const LOGGING_GROUP: &str = "logging.banzaicloud.io";

/// Asks the API server for its version. Never fails: an unreachable server is a result.
pub async fn api_server(client: &kube::Client, url: &str) -> EndpointHealth {
    let started = Instant::now();
    let outcome = client
        .apiserver_version()
        .await
        .map(|info| info.git_version)
        .map_err(|e| describe(&e));
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    EndpointHealth::from_outcome(
        "kubernetes",
        url.into(),
        "direct",
        false,
        outcome,
        latency_ms,
    )
}

/// An API server no client could be built for (bad kubeconfig, no URL, no service account).
pub fn api_server_unusable(url: &str, error: String) -> EndpointHealth {
    EndpointHealth::from_outcome("kubernetes", url.into(), "direct", false, Err(error), 0)
}

/// Which of the kinds Gemscope works with are served, in which versions.
pub async fn crds(client: &kube::Client) -> BackendResult<Vec<CrdPresence>> {
    let groups = client.list_api_groups().await?;
    let mut out = Vec::new();
    for (group, kinds) in [
        (MONITORING_GROUP, &MONITORING_KINDS),
        (LOGGING_GROUP, &LOGGING_KINDS),
    ] {
        let mut found: Vec<(String, String)> = Vec::new();
        if let Some(g) = groups.groups.iter().find(|g| g.name == group) {
            for v in &g.versions {
                let list = client.list_api_group_resources(&v.group_version).await?;
                for r in list.resources.iter().filter(|r| !r.name.contains('/')) {
                    found.push((r.kind.clone(), v.version.clone()));
                }
            }
        }
        for kind in kinds.iter() {
            out.push(CrdPresence {
                group: group.into(),
                kind: kind.to_string(),
                versions: found
                    .iter()
                    .filter(|(k, _)| k == kind)
                    .map(|(_, v)| v.clone())
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// How the API server is named in a connection test.
pub fn api_server_label(s: &ClusterSettings) -> String {
    if s.in_cluster {
        "in-cluster".into()
    } else if s.api_server.is_empty() {
        "from kubeconfig".into()
    } else {
        s.api_server.clone()
    }
}
