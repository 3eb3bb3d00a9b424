//! The one seam between the services and a cluster: what it stores of Gemscope's (the rule
//! objects; later Flows, Outputs and workload patches), how its components are reached, its
//! connection test and its preparation. Two implementations: `kube::KubeBackend` (server-side
//! apply) and `standalone::FileBackend` (files and reloads). `connect` is the one place that
//! looks at a cluster's kind; everything else asks the backend.

use std::sync::Arc;

use app::domain::rule_objects::{Desired, Live, ObjectRef, RuleObject};
use app::error::ApiError;
use app::model::{
    AlertType, ClusterKind, ClusterSettings, Component, CrdPresence, EndpointHealth, PrepareResult,
    PreparedItem,
};

use crate::clusters::error::BackendResult;
use crate::clusters::kube::KubeBackend;
use crate::clusters::service::ClusterSecrets;
use crate::clusters::standalone::FileBackend;
use crate::observe::endpoint::Endpoint;

/// What changes for one rule. `rules` is every rule of the cluster as it will be afterwards (the
/// files and ConfigMap keys that hold several rules are rendered from it).
pub struct Change<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// The rule afterwards; `None` when it is deleted.
    pub after: Option<&'a RuleObject>,
    /// The type it had before, when it existed (a type change removes the old kind's object).
    pub before: Option<AlertType>,
    pub rules: &'a [RuleObject],
}

impl Change<'_> {
    /// Whether the namespace's logging rules (one ConfigMap key or file) change.
    pub fn touches_logs(&self) -> bool {
        self.after.is_some_and(|a| a.kind == AlertType::Logging)
            || self.before == Some(AlertType::Logging)
    }

    /// Whether the rule's Prometheus rule object goes (deleted, or no longer a monitoring rule).
    pub fn drops_monitor(&self) -> bool {
        self.before == Some(AlertType::Monitor)
            && !self.after.is_some_and(|a| a.kind == AlertType::Monitor)
    }
}

/// How many objects a write changed (0: everything was current).
pub type Writes = usize;

/// A connection test's findings: the endpoints (on Kubernetes the API server first), the custom
/// resources served, and the state of what prepare writes.
#[derive(Debug, Default)]
pub struct BackendCheck {
    pub endpoints: Vec<EndpointHealth>,
    pub crds: Vec<CrdPresence>,
    pub prepared: Vec<PreparedItem>,
}

#[async_trait::async_trait]
pub trait ClusterBackend: Send + Sync {
    /// What the cluster should hold for each rule, in the order given (`rules`: every rule of
    /// the cluster, for the files several rules share).
    fn desired(&self, rules: &[RuleObject]) -> BackendResult<Vec<Vec<Desired>>>;

    /// What the cluster holds of Gemscope's rule objects; the objects prepare writes are left
    /// out (they are never orphans).
    async fn live(&self) -> BackendResult<Live>;

    /// Writes what one rule's change needs, only where the cluster differs, and makes sure the
    /// cluster holds it afterwards.
    async fn apply(&self, change: &Change<'_>) -> BackendResult<Writes>;

    /// Removes one object (an orphan); one that is gone already counts as removed.
    async fn remove(&self, object: &ObjectRef) -> BackendResult<()>;

    /// Whether a change of one rule needs every rule of the cluster rendered (a file they share).
    fn needs_every_rule(&self) -> bool;

    /// The components and how to reach each (component, endpoint, optional).
    fn endpoints(&self) -> Vec<(Component, Endpoint, bool)>;

    /// The Kubernetes API, on clusters that have one (ServiceMonitors live there).
    fn kubernetes(&self) -> Option<&::kube::Client>;

    /// The connection test. Never fails: an unreachable component is a finding.
    async fn check(&self) -> BackendCheck;

    /// Writes what the cluster needs before rules work (recording rules, global routing).
    async fn prepare(&self) -> Result<Vec<PrepareResult>, ApiError>;
}

/// Builds a cluster's backend. The server connects for real (`Connector`); a test may put an
/// in-memory cluster in its place to run the services' logic without one.
#[async_trait::async_trait]
pub trait Connect: Send + Sync {
    async fn connect(
        &self,
        name: &str,
        kind: ClusterKind,
        settings: ClusterSettings,
        secrets: &ClusterSecrets,
        http: reqwest::Client,
    ) -> BackendResult<Arc<dyn ClusterBackend>>;
}

/// The backend for a cluster of its kind. Building a Kubernetes client reads the kubeconfig or
/// the service account; nothing is sent to the cluster yet.
pub struct Connector;

#[async_trait::async_trait]
impl Connect for Connector {
    async fn connect(
        &self,
        name: &str,
        kind: ClusterKind,
        settings: ClusterSettings,
        secrets: &ClusterSecrets,
        http: reqwest::Client,
    ) -> BackendResult<Arc<dyn ClusterBackend>> {
        Ok(match kind {
            ClusterKind::Kubernetes => {
                let client = crate::clusters::kube::client(&settings, secrets).await?;
                Arc::new(KubeBackend::new(client, settings, http))
            }
            ClusterKind::Standalone => Arc::new(FileBackend::new(name, settings, http)),
        })
    }
}
