//! What an environment may bind and what must be gone before it is deleted.
//!
//! A tenant that binds a cluster's monitoring or logging namespace (or `kube-system`) would see
//! every system alert and the platform's own series; an environment deleted while its rules,
//! collectors or blacklist silences are still in the cluster would leave them running for
//! whoever binds the namespace next.

use app::error::{ApiError, Code};
use app::model::ClusterSettings;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::alert_rules::RuleSilences;
use crate::clusters::kube::crds::{Crd, ServiceMonitor};
use crate::clusters::kube::{self as k};
use crate::clusters::service::ClustersService;
use crate::db::entities::{alert_rule, dashboard, environment};

/// The namespaces no tenant may bind by default, besides each cluster's monitoring and logging
/// namespaces and the one Gemscope runs in.
pub const DEFAULT_RESERVED: &str = "kube-system,kube-public,kube-node-lease";

/// Why `namespace` of a cluster with `settings` is reserved, if it is: the error's code, whose
/// one argument is the namespace.
pub fn reserved_reason(
    namespace: &str,
    settings: &ClusterSettings,
    reserved: &[String],
) -> Option<Code> {
    if namespace == settings.monitoring_ns() {
        return Some(Code::MonitoringNamespace);
    }
    if namespace == settings.logging_ns() {
        return Some(Code::LoggingNamespace);
    }
    reserved
        .iter()
        .any(|r| r == namespace)
        .then_some(Code::ReservedNamespace)
}

/// What a system administrator is told after binding a reserved namespace.
pub fn reserved_warning(code: Code, namespace: &str) -> String {
    let why = match code {
        Code::MonitoringNamespace => "is this cluster's monitoring namespace",
        Code::LoggingNamespace => "is this cluster's logging namespace",
        _ => "is reserved for the platform",
    };
    format!("{namespace} {why}: this environment sees the platform's own series and alerts")
}

/// The reserved list from the configuration, plus the namespace Gemscope runs in.
pub fn reserved_list(configured: &str, own_namespace: Option<String>) -> Vec<String> {
    let mut out: Vec<String> = configured
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    out.extend(own_namespace.filter(|s| !s.is_empty()));
    out
}

/// The namespace of the pod Gemscope runs in, when it runs in one.
pub fn own_namespace() -> Option<String> {
    if let Ok(ns) = std::env::var("POD_NAMESPACE") {
        return Some(ns.trim().to_string());
    }
    std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .ok()
        .map(|s| s.trim().to_string())
}

fn listed(kind: &str, names: Vec<String>) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let shown: Vec<String> = names.iter().take(5).cloned().collect();
    let more = names.len().saturating_sub(shown.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!(
        "{} {kind} ({}{tail})",
        names.len(),
        shown.join(", ")
    ))
}

/// What of the environment is still stored: its alert rules and dashboards.
pub async fn stored_residue<C: ConnectionTrait>(
    db: &C,
    env: &environment::Model,
) -> Result<Vec<String>, ApiError> {
    let rules: Vec<String> = alert_rule::Entity::find()
        .filter(alert_rule::Column::EnvironmentId.eq(env.id))
        .order_by_asc(alert_rule::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let dashboards: Vec<String> = dashboard::Entity::find()
        .filter(dashboard::Column::EnvironmentId.eq(env.id))
        .order_by_asc(dashboard::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    Ok([
        listed("alert rule(s)", rules),
        listed("dashboard(s)", dashboards),
    ]
    .into_iter()
    .flatten()
    .collect())
}

/// What of the environment is still in the cluster: Gemscope's ServiceMonitors (collectors) in
/// its namespace and blacklist silences of its alerts. A cluster that cannot be asked refuses
/// the delete: nothing may be left behind unseen.
pub async fn cluster_residue(
    clusters: &ClustersService,
    silences: &RuleSilences,
    env: &environment::Model,
) -> Result<Vec<String>, ApiError> {
    let unreachable = |e: &dyn std::fmt::Display| {
        ApiError::new(http::StatusCode::BAD_GATEWAY, Code::ClusterUnchecked).arg(e)
    };
    let handle = clusters
        .handle(env.cluster_id)
        .await
        .map_err(|e| unreachable(&e.message))?;
    let mut out = Vec::new();
    if let Some(client) = handle.backend.kubernetes() {
        let monitors = k::list_ours(
            client,
            &ServiceMonitor::api_resource(),
            Some(&env.namespace),
            "",
        )
        .await
        .map_err(|e| unreachable(&e))?;
        out.extend(listed(
            "collector(s)",
            monitors
                .into_iter()
                .filter_map(|m| m.metadata.name)
                .collect(),
        ));
    }
    // A cluster without an Alertmanager has no silences to leave behind.
    if let Some(entries) = silences
        .entries_left(&handle, &env.namespace)
        .await
        .map_err(|e| unreachable(&e))?
    {
        out.extend(listed(
            "blacklist entr(ies)",
            entries.into_iter().map(|e| e.id).collect(),
        ));
    }
    Ok(out)
}

/// The 409 that names what is left.
pub fn still_has(residue: &[String]) -> ApiError {
    ApiError::conflict("environment_id", Code::EnvironmentResidue).arg(residue.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_namespaces() {
        let settings = ClusterSettings::default();
        let reserved = reserved_list(DEFAULT_RESERVED, Some("gemscope".into()));
        let cases = [
            (settings.monitoring_ns().to_string(), true),
            (settings.logging_ns().to_string(), true),
            ("kube-system".into(), true),
            ("kube-public".into(), true),
            ("kube-node-lease".into(), true),
            ("gemscope".into(), true),
            ("shop".into(), false),
            ("kube-systems".into(), false),
        ];
        for (ns, want) in cases {
            assert_eq!(
                reserved_reason(&ns, &settings, &reserved).is_some(),
                want,
                "{ns}"
            );
        }
        assert_eq!(reserved_list(" a, ,b ", None), vec!["a", "b"]);
    }
}
