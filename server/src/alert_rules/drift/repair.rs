//! Repair: a rule written again from the database, an orphan deleted from its cluster.

use super::*;
use app::domain::rule_objects::ObjectRef;
use app::error::Code;
use app::model::RepairOutcome;

impl RuleChecks {
    /// Writes a rule again from the database (server-side apply, or its file). Returns its
    /// `namespace/name` and cluster.
    async fn rewrite_rule(&self, id: i64) -> Result<(String, ClusterHandle), ApiError> {
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
    async fn recheck(&self, handle: &ClusterHandle) -> Result<DriftCheck, ApiError> {
        let check = self
            .check_cluster(handle)
            .await
            .map_err(|e| e.into_api(handle))?;
        self.record_check(handle.id, &check).await?;
        Ok(check)
    }

    /// Deletes an orphan from its cluster, unless a rule owns it by now.
    pub async fn remove_orphan(&self, id: i64) -> Result<String, ApiError> {
        let o = rule_orphan::Entity::find_by_id(id)
            .one(&self.db)
            .await?
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
        let prepared = crate::clusters::prepare::is_prepared(&handle.settings, &object);
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
            .map_err(|e| crate::alert_rules::cluster_error(&handle, e))?;
        rule_orphan::Entity::delete_by_id(o.id)
            .exec(&self.db)
            .await?;
        Ok(format!("{} {}/{}", o.kind, o.namespace, o.name))
    }

    /// Repairs a whole cluster: its orphans deleted, its drifted rules written again, then one
    /// check confirms each rule. Warnings (no series now, a changed template) are left for one
    /// rule at a time, when someone decides to.
    pub async fn repair_cluster(&self, cluster_id: i64) -> Result<RepairOutcome, ApiError> {
        let handle = self.clusters.handle(cluster_id).await?;
        let mut out = RepairOutcome::default();
        // Orphans first: writing a rule again can take an orphan with it (a Loki group in the
        // same ConfigMap key), which then is simply gone.
        let orphans = rule_orphan::Entity::find()
            .filter(rule_orphan::Column::ClusterId.eq(cluster_id))
            .all(&self.db)
            .await?;
        for o in orphans {
            match self.remove_orphan(o.id).await {
                Ok(name) => out.repaired.push(name),
                Err(e) if e.status == 404 => {}
                Err(e) => out.failed.push(format!(
                    "{} {}/{}: {}",
                    o.kind, o.namespace, o.name, e.message
                )),
            }
        }
        let drifted = alert_rule::Entity::find()
            .filter(
                Condition::all()
                    .add(alert_rule::Column::ClusterId.eq(cluster_id))
                    .add(alert_rule::Column::CheckStatus.eq(ERROR)),
            )
            .all(&self.db)
            .await?;
        let mut rewritten = Vec::new();
        for r in drifted {
            match self.rewrite_rule(r.id).await {
                Ok((name, _)) => rewritten.push((r.id, name)),
                Err(e) => out
                    .failed
                    .push(format!("{}/{}: {}", r.namespace, r.name, e.message)),
            }
        }
        // Repaired means the check now finds the rule as the database has it.
        let check = self.recheck(&handle).await?;
        for (id, name) in rewritten {
            match still_drifted(&check, id, &name) {
                Ok(()) => out.repaired.push(name),
                Err(e) => out.failed.push(e.message),
            }
        }
        Ok(out)
    }
}

/// A repaired rule whose check still finds its objects different: the repair did not take.
fn still_drifted(check: &DriftCheck, id: i64, name: &str) -> Result<(), ApiError> {
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
