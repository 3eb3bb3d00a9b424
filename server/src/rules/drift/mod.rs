//! The config check (inventory §5.5): every rule of a cluster re-rendered from the database and
//! compared with what the cluster holds, template-based expressions generated again, and the
//! expression run once as a sanity query. Objects labelled as Gemscope's alert rules that no row
//! owns are orphans. Kubernetes: PrometheusRule, AlertmanagerConfig and the Loki rules ConfigMap
//! key (three list calls per cluster). Standalone: the rule files.
//!
//! `compare`: the pure comparison and its report; `live`: reading what a cluster holds;
//! `kube_check` / `file_check`: one cluster kind each; `record`: storing a result; `repair`:
//! writing again and deleting orphans.

mod compare;
mod file_check;
mod kube_check;
mod live;
mod record;
mod repair;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use app::domain::alert_rules::{self as domain, am_config_labels, prometheus_rule_labels};
use app::domain::{am_config, receiver_secret, rule_file};
use app::error::ApiError;
use app::model::{
    AlertType, ClusterKind, ClusterSettings, NamespacedAmConfig, RuleFile, RuleGroup,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::objects::{self, RuleObject};
use super::store::{self, CheckDetail, Stored};
use super::{AlertRulesService, RulePlace};
use crate::cluster::error::{BackendError, BackendResult};
use crate::cluster::kube::crds::{AlertmanagerConfig, Crd, PrometheusRule};
use crate::cluster::kube::{self as k, FIELD_MANAGER};
use crate::cluster::prepare::LOKI_RULES_CONFIGMAP;
use crate::cluster::service::ClusterHandle;
use crate::cluster::standalone::{self, RuleTarget};
use crate::db::entities::{alert_rule, rule_orphan};
use crate::db::{internal, now};

use compare::*;
pub use compare::{normalize, redact_tokens, unified};
use live::*;
pub(crate) use repair::still_drifted;

pub const OK: &str = "ok";
pub const WARNING: &str = "warning";
pub const ERROR: &str = "error";

pub const KIND_PROMETHEUS_RULE: &str = "PrometheusRule";
pub const KIND_AM_CONFIG: &str = "AlertmanagerConfig";
pub const KIND_LOKI_RULES: &str = "LokiRules";
pub const KIND_RULE_FILE: &str = "RuleFile";

/// One rule's result.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Finding {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub diff: String,
}

impl Finding {
    pub fn status(&self) -> &'static str {
        if !self.errors.is_empty() {
            ERROR
        } else if !self.warnings.is_empty() {
            WARNING
        } else {
            OK
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrphanFound {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Default)]
pub struct DriftCheck {
    pub rules: Vec<(i64, String, Finding)>,
    pub orphans: Vec<OrphanFound>,
}

impl AlertRulesService {
    /// Every rule of the cluster and what it renders to now, from the database.
    pub(super) async fn rendered_rules(
        &self,
        handle: &ClusterHandle,
    ) -> Result<Vec<(Stored, Result<RuleObject, ApiError>)>, ApiError> {
        let stored = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::ClusterId.eq(handle.id)),
        )
        .await?;
        let mut out = Vec::with_capacity(stored.len());
        for s in stored {
            let input = s.input();
            let target = s.target();
            let obj = match domain::from_stored(&input, &target) {
                Ok(r) => {
                    self.object(&self.db, handle, s.row.tenant_id, &target, &input, &r)
                        .await
                }
                Err(e) => Err(e),
            };
            out.push((s, obj));
        }
        Ok(out)
    }

    /// Template-based expressions generated again, and the expression run once.
    pub(super) async fn sanity_check(&self, handle: &ClusterHandle, s: &Stored, f: &mut Finding) {
        let place = RulePlace::of_rule(handle.clone(), s);
        let input = s.input();
        if input.promql_generator.is_some() && s.kind() == AlertType::Monitor {
            match self.template(&place, &input).await {
                Ok(t) => match domain::render(&input, &s.target(), t.as_ref()) {
                    Ok(r) => {
                        let now = r.stored(&input).expr;
                        if now != s.row.expr {
                            f.warnings.push(format!(
                                "its template changed: the expression would now be {now}"
                            ));
                        }
                    }
                    Err(e) => f
                        .errors
                        .push(format!("its template no longer renders: {}", e.message)),
                },
                Err(e) => f.errors.push(format!("its template: {}", e.message)),
            }
        }
        match self.instant(&place, s.kind(), &s.row.expr).await {
            Ok(series) if series.is_empty() => f
                .warnings
                .push("the expression returns no series now".to_string()),
            Ok(series) => {
                let namespaced = s.row.environment_id.is_some();
                if namespaced && series.iter().any(|x| !x.labels.contains_key("namespace")) {
                    f.warnings.push(
                        "some series of the expression have no namespace label, so they cannot be routed to the environment".to_string(),
                    );
                }
            }
            Err(e) => f
                .warnings
                .push(format!("the sanity query failed: {}", e.message)),
        }
    }

    /// Checks one cluster. An error means the cluster could not be read at all.
    pub async fn check_cluster(&self, handle: &ClusterHandle) -> Result<DriftCheck, CheckError> {
        let rules = self
            .rendered_rules(handle)
            .await
            .map_err(CheckError::Rules)?;
        let mut check = DriftCheck::default();
        match (handle.kind, &handle.client) {
            (ClusterKind::Kubernetes, Some(client)) => {
                let live = kube_live(handle, client).await?;
                self.check_kube(handle, &rules, &live, &mut check).await;
            }
            (ClusterKind::Kubernetes, None) => {
                return Err(BackendError::Settings("no Kubernetes client".into()).into());
            }
            (ClusterKind::Standalone, _) => self.check_files(handle, &rules, &mut check).await?,
        }
        Ok(check)
    }
}

/// Why a cluster could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The rules could not be read from the database.
    #[error("{}", .0.message)]
    Rules(ApiError),
    /// What the cluster holds could not be read.
    #[error(transparent)]
    Cluster(#[from] BackendError),
}
