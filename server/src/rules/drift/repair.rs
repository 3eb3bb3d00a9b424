//! Repair: a rule written again from the database, an orphan deleted from its cluster.

use super::*;
use app::domain::rule_objects::ObjectRef;
use app::error::Code;

impl AlertRulesService {
    /// Writes a rule again from the database (server-side apply, or its file). Returns its
    /// `namespace/name` and cluster.
    pub async fn rewrite_rule(&self, id: i64) -> Result<(String, ClusterHandle), ApiError> {
        let s = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::Id.eq(id)),
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(Code::AlertRuleNotFound))?;
        let handle = self.clusters.handle(s.row.cluster_id).await?;
        let place = RulePlace::of_rule(handle.clone(), &s);
        let r = self.resync_one(&place, &s).await;
        self.record_sync(s.row.id, &r).await;
        r?;
        Ok((format!("{}/{}", s.row.namespace, s.row.name), handle))
    }

    /// Writes a rule again, then checks its cluster again so the page shows the result. A rule
    /// whose objects still differ from the database afterwards is a failed repair.
    pub async fn repair_rule(&self, id: i64) -> Result<String, ApiError> {
        let (name, handle) = self.rewrite_rule(id).await?;
        let check = self.recheck(&handle).await?;
        still_drifted(&check, id, &name)?;
        Ok(name)
    }

    /// Checks a cluster again and stores the result.
    pub async fn recheck(&self, handle: &ClusterHandle) -> Result<DriftCheck, ApiError> {
        let check = self.check_cluster(handle).await.map_err(|e| match e {
            CheckError::Rules(e) => e,
            CheckError::Cluster(e) => crate::rules::cluster_error(handle, e),
        })?;
        self.record_check(handle.id, &check).await?;
        Ok(check)
    }

    /// Deletes an orphan from its cluster, unless a rule owns it by now.
    pub async fn remove_orphan(&self, id: i64) -> Result<String, ApiError> {
        let o = rule_orphan::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found(Code::OrphanNotFound))?;
        let handle = self.clusters.handle(o.cluster_id).await?;
        let object = ObjectRef::parse(&o.kind, &o.namespace, &o.name).ok_or_else(|| {
            tracing::error!(orphan = o.id, kind = %o.kind, "stored orphan kind is not a known kind");
            ApiError::internal()
        })?;
        let owner = match object.owner() {
            Some((ns, name)) => store::one(&self.db, o.cluster_id, &ns, &name).await?,
            None => None,
        };
        // A logging rule's group is named after the rule; other objects after any rule.
        let owned = owner.is_some_and(|s| {
            !matches!(object, ObjectRef::LokiGroup { .. }) || s.kind() == AlertType::Logging
        });
        let prepared = crate::cluster::prepare::is_prepared(&handle.settings, &object);
        if owned || prepared {
            let code = if prepared {
                Code::OrphanPrepared
            } else {
                Code::OrphanOwned
            };
            return Err(ApiError::new(http::StatusCode::CONFLICT, code)
                .arg(format!("{} {}/{}", o.kind, o.namespace, o.name)));
        }
        let _guard = self.lock(o.cluster_id).await;
        handle
            .backend
            .remove(&object)
            .await
            .map_err(|e| crate::rules::cluster_error(&handle, e))?;
        rule_orphan::Entity::delete_by_id(o.id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(format!("{} {}/{}", o.kind, o.namespace, o.name))
    }
}

/// A repaired rule whose check still finds its objects different: the repair did not take.
pub(crate) fn still_drifted(check: &DriftCheck, id: i64, name: &str) -> Result<(), ApiError> {
    match check.rules.iter().find(|(rule, ..)| *rule == id) {
        Some((_, _, f)) if f.status() == ERROR => Err(ApiError::new(
            http::StatusCode::BAD_GATEWAY,
            Code::RepairDiffers,
        )
        .arg(name)
        .arg(f.errors.join("; "))),
        _ => Ok(()),
    }
}
