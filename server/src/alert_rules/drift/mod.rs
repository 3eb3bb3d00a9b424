//! The config check (inventory §5.5): every rule of a cluster rendered again from the database
//! and compared with what the cluster holds, template-based expressions generated again, and
//! the expression run once as a sanity query. Objects labelled as Gemscope's alert rules that no
//! row owns are orphans.
//!
//! The check is `diff(render(db), backend.live())`: the objects come from the cluster's backend,
//! the comparison is the pure `app::domain::rule_objects::diff`. `record` stores a result;
//! `repair` writes a rule again and deletes orphans.

mod record;
pub use record::ClusterChecked;
mod repair;

use std::collections::HashSet;

use app::domain::alert_rules as domain;
use app::domain::rule_objects::{self as objects, RuleExpectation, RuleObject};
use app::error::ApiError;
use app::model::AlertType;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::store::{self, CheckDetail, Stored};
use super::{RuleChecks, RulePlace};
use crate::clusters::error::BackendError;
use crate::clusters::service::ClusterHandle;
use crate::db::entities::{alert_rule, rule_orphan};
use crate::db::now;

pub use app::domain::rule_objects::{ERROR, Finding, OK, OrphanFound, WARNING};

#[derive(Debug, Default)]
pub struct DriftCheck {
    pub rules: Vec<(i64, String, Finding)>,
    pub orphans: Vec<OrphanFound>,
}

impl RuleChecks {
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
    pub(super) async fn check_cluster(
        &self,
        handle: &ClusterHandle,
    ) -> Result<DriftCheck, CheckError> {
        let rules = self
            .rendered_rules(handle)
            .await
            .map_err(CheckError::Store)?;
        let rendered: Vec<RuleObject> = rules
            .iter()
            .filter_map(|(_, o)| o.as_ref().ok().cloned())
            .collect();
        let mut desired = handle.backend.desired(&rendered)?.into_iter();
        let expected: Vec<RuleExpectation> = rules
            .iter()
            .map(|(s, o)| RuleExpectation {
                id: s.row.id,
                namespace: s.row.namespace.clone(),
                name: s.row.name.clone(),
                objects: match o {
                    Ok(_) => Ok(desired.next().unwrap_or_default()),
                    Err(e) => Err(e.message.clone()),
                },
            })
            .collect();
        let live = handle.backend.live().await?;
        let (mut findings, orphans) = objects::diff(&expected, &live);
        for ((s, _), (_, _, f)) in rules.iter().zip(findings.iter_mut()) {
            self.sanity_check(handle, s, f).await;
        }
        Ok(DriftCheck {
            rules: findings,
            orphans,
        })
    }
}

/// Why a cluster could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The database could not be read or written, or the cluster is not known.
    #[error("{}", .0.message)]
    Store(ApiError),
    /// What the cluster holds could not be read.
    #[error(transparent)]
    Cluster(#[from] BackendError),
    /// The cluster did not answer in time.
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(std::time::Duration),
}

impl CheckError {
    /// As the API reports it: a cluster's failure names the cluster.
    pub fn into_api(self, handle: &ClusterHandle) -> ApiError {
        match self {
            CheckError::Store(e) => e,
            CheckError::Cluster(e) => crate::alert_rules::cluster_error(handle, e),
            CheckError::Timeout(_) => ApiError::new(
                http::StatusCode::GATEWAY_TIMEOUT,
                app::error::Code::ClusterFailed,
            )
            .arg(&handle.name)
            .arg(self),
        }
    }
}
