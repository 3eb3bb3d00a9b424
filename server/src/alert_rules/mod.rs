//! Alert rules: stored in the database, written into the cluster in the same transaction
//! (inventory §3), state from the rules APIs (§5.4), enable/disable through one silence (§5.1),
//! blacklist silences (§5.3).

pub mod api;
pub mod checks;
pub mod drift;
mod render;
pub mod rotate;
mod saga;
pub mod silences;
pub mod state;
pub mod states;
pub mod store;
mod sync;
mod system;
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::domain::alert_rules::{
    self as domain, Grouping, Rendered, Target, alertmanager_config, routes_to,
};
use app::error::{ApiError, Code};
use app::model::{AlertRuleInput, AlertType, AmReceiver, Component, Role, RuleScope, TemplateRule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use crate::auth::authz::{environment_as, require_system_admin};
use crate::auth::secrets::SecretBox;
use crate::channels::deliver::Notifier;
use crate::clusters::backend::Change;
use crate::clusters::error::BackendError;
use crate::clusters::service::{ClusterHandle, ClustersService};
use crate::db::entities::{alert_receiver, alert_rule};
use crate::db::now;
use crate::observe::alertmanager::{Alertmanager, AlertmanagerError};
use app::domain::rule_objects::RuleObject;
use store::Stored;

/// What the four parts of the rule service share: the store, the clusters, the clients and one
/// write lock per cluster. Its fields and helpers are private to `alert_rules`; other modules call
/// the named operations of the parts.
pub struct RulesCore {
    db: DatabaseConnection,
    clusters: Arc<ClustersService>,
    notifier: Arc<Notifier>,
    secrets: Arc<SecretBox>,
    templates: Arc<dyn app::api::templates::TemplatesPort>,
    http: reqwest::Client,
    public_url: Option<String>,
    /// One writer per cluster: files and ConfigMap keys hold several rules.
    locks: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

macro_rules! part {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Arc<RulesCore>);

        impl std::ops::Deref for $name {
            type Target = RulesCore;
            fn deref(&self) -> &RulesCore {
                &self.0
            }
        }
    };
}

part!(
    /// Writing rules: create, update, delete, enable; writing them again (re-sync, a channel's
    /// rules after it changed, token rotations) and the system rule set (write.rs, sync.rs,
    /// rotate.rs, system.rs).
    RuleWriting
);
part!(
    /// Rule state from the clusters' rules APIs, for the lists and the state sync (states.rs).
    RuleStates
);
part!(
    /// Checks: fires-now, backtests, the config check against what clusters hold, and repair
    /// (checks.rs, drift/).
    RuleChecks
);
part!(
    /// Blacklist silences in a scope's Alertmanager (silences.rs).
    RuleSilences
);

/// The rule service by job; `api.rs` implements the API's port on it, jobs and other services
/// hold the part they use.
#[derive(Clone)]
pub struct AlertRulesService {
    pub writing: RuleWriting,
    pub states: RuleStates,
    pub checks: RuleChecks,
    pub silences: RuleSilences,
}

/// Where a scope's rules live, resolved and authorised.
pub struct RulePlace {
    pub handle: ClusterHandle,
    pub namespace: String,
    pub global: bool,
    pub environment_id: Option<i64>,
    pub tenant_id: Option<i64>,
}

impl RulePlace {
    /// Where a stored rule lives, for work the system does on it (re-syncs).
    pub fn of_rule(handle: ClusterHandle, s: &Stored) -> RulePlace {
        RulePlace {
            handle,
            namespace: s.row.namespace.clone(),
            global: s.row.environment_id.is_none(),
            environment_id: s.row.environment_id,
            tenant_id: s.row.tenant_id,
        }
    }

    pub fn target(&self) -> Target<'_> {
        Target {
            namespace: &self.namespace,
            global: self.global,
        }
    }

    fn condition(&self) -> Condition {
        Condition::all()
            .add(alert_rule::Column::ClusterId.eq(self.handle.id))
            .add(alert_rule::Column::Namespace.eq(self.namespace.as_str()))
    }
}

/// A cluster refused or failed a write: the user reads what went wrong there; the causes below it
/// (TLS, I/O, HTTP) go to the log.
fn cluster_error(handle: &ClusterHandle, e: BackendError) -> ApiError {
    tracing::warn!(cluster = %handle.name, error = %e.chain(), "cluster write failed");
    ApiError::new(http::StatusCode::BAD_GATEWAY, Code::ClusterFailed)
        .arg(&handle.name)
        .arg(e)
}

/// The cluster's Alertmanager refused or could not be reached.
fn alertmanager_error(handle: &ClusterHandle, e: AlertmanagerError) -> ApiError {
    let error = ApiError::from(e);
    ApiError::new(error.status_code(), Code::ClusterFailed)
        .arg(&handle.name)
        .arg(error.text())
}

impl AlertRulesService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: DatabaseConnection,
        clusters: Arc<ClustersService>,
        notifier: Arc<Notifier>,
        secrets: Arc<SecretBox>,
        templates: Arc<dyn app::api::templates::TemplatesPort>,
        http: reqwest::Client,
        public_url: Option<String>,
    ) -> Self {
        let core = Arc::new(RulesCore {
            db,
            clusters,
            notifier,
            secrets,
            templates,
            http,
            public_url,
            locks: Default::default(),
        });
        AlertRulesService {
            writing: RuleWriting(core.clone()),
            states: RuleStates(core.clone()),
            checks: RuleChecks(core.clone()),
            silences: RuleSilences(core),
        }
    }

    /// What the parts share, for the port's own reads (api.rs).
    fn core(&self) -> &RulesCore {
        &self.writing
    }

    /// The scope as `caller` may use it with at least `min` (see `RulesCore::place`).
    pub async fn place(
        &self,
        caller: &app::api::context::Caller,
        scope: RuleScope,
        min: Role,
    ) -> Result<RulePlace, ApiError> {
        self.core().place(caller, scope, min).await
    }
}

impl RulesCore {
    async fn lock(&self, cluster_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(cluster_id).or_default().clone()
        };
        m.lock_owned().await
    }

    /// The scope as `caller` may use it with at least `min`: an environment's namespace, or
    /// (system administrators) the cluster's monitoring namespace.
    pub async fn place(
        &self,
        caller: &app::api::context::Caller,
        scope: RuleScope,
        min: Role,
    ) -> Result<RulePlace, ApiError> {
        match scope {
            RuleScope::Environment(id) => {
                let env = environment_as(&self.db, caller, id, min).await?;
                let handle = self.clusters.handle(env.cluster_id).await?;
                Ok(RulePlace {
                    handle,
                    namespace: env.namespace,
                    // An environment's rules never see other namespaces, whatever it is called.
                    global: false,
                    environment_id: Some(env.id),
                    tenant_id: Some(env.tenant_id),
                })
            }
            RuleScope::System(cluster_id) => {
                require_system_admin(caller)?;
                let handle = self.clusters.handle(cluster_id).await?;
                Ok(RulePlace {
                    namespace: handle.settings.monitoring_ns().to_string(),
                    handle,
                    global: true,
                    environment_id: None,
                    tenant_id: None,
                })
            }
        }
    }

    pub fn alertmanager(&self, handle: &ClusterHandle) -> Result<Alertmanager, ApiError> {
        Ok(Alertmanager {
            endpoint: handle.component(Component::Alertmanager)?,
            http: self.http.clone(),
        })
    }
}
