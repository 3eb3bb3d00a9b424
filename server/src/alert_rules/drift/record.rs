//! Storing a check's result, and the config check job's work on one cluster.

use super::*;

/// What one cluster's config check found, as the job counts it.
#[derive(Debug, Default)]
pub struct ClusterChecked {
    /// Rules of the cluster.
    pub rules: u64,
    /// Drifted rules plus orphans.
    pub drifted: u64,
    /// One line per drifted rule: what differs.
    pub notes: Vec<String>,
}

impl RuleChecks {
    /// Checks one cluster (within `timeout`) and stores the result.
    pub async fn check_and_record(
        &self,
        cluster_id: i64,
        timeout: std::time::Duration,
    ) -> Result<ClusterChecked, CheckError> {
        let handle = self
            .clusters
            .handle(cluster_id)
            .await
            .map_err(CheckError::Store)?;
        let check = tokio::time::timeout(timeout, self.check_cluster(&handle))
            .await
            .map_err(|_| CheckError::Timeout(timeout))??;
        let (drifted, orphans) = self
            .record_check(cluster_id, &check)
            .await
            .map_err(CheckError::Store)?;
        Ok(ClusterChecked {
            rules: check.rules.len() as u64,
            drifted: drifted + orphans,
            notes: check
                .rules
                .iter()
                .filter(|(_, _, f)| f.status() == ERROR)
                .map(|(_, name, f)| format!("{}: {name}: {}", handle.name, f.errors.join("; ")))
                .collect(),
        })
    }

    /// Stores a cluster's results: each rule's status, and the orphans found (replacing the
    /// previous ones), in one transaction. Returns (drifted, orphans).
    pub(super) async fn record_check(
        &self,
        cluster_id: i64,
        check: &DriftCheck,
    ) -> Result<(u64, u64), ApiError> {
        let t = now();
        let txn = crate::db::begin_write(&self.db).await?;
        let mut drifted = 0;
        for (id, _, f) in &check.rules {
            if f.status() == ERROR {
                drifted += 1;
            }
            let detail = CheckDetail {
                problems: f.errors.iter().chain(&f.warnings).cloned().collect(),
                diff: f.diff.clone(),
            };
            let update = alert_rule::ActiveModel {
                id: Set(*id),
                check_status: Set(f.status().to_string()),
                check_detail: Set(Some(
                    serde_json::to_string(&detail).map_err(|_| ApiError::internal())?,
                )),
                checked_at: Set(t),
                ..Default::default()
            };
            match alert_rule::Entity::update(update).exec(&txn).await {
                Ok(_) | Err(sea_orm::DbErr::RecordNotUpdated) => {}
                Err(e) => return Err(ApiError::from(e)),
            }
        }
        // Orphans still there keep their row (and id, which an open page may act on); gone ones
        // are dropped, new ones added.
        let known = rule_orphan::Entity::find()
            .filter(rule_orphan::Column::ClusterId.eq(cluster_id))
            .all(&txn)
            .await?;
        let key = |kind: &str, ns: &str, name: &str| format!("{kind}\u{0}{ns}\u{0}{name}");
        let found: HashSet<String> = check
            .orphans
            .iter()
            .map(|o| key(o.object.kind(), o.object.namespace(), o.object.name()))
            .collect();
        let gone: Vec<i64> = known
            .iter()
            .filter(|o| !found.contains(&key(&o.kind, &o.namespace, &o.name)))
            .map(|o| o.id)
            .collect();
        if !gone.is_empty() {
            rule_orphan::Entity::delete_many()
                .filter(rule_orphan::Column::Id.is_in(gone))
                .exec(&txn)
                .await?;
        }
        let kept: HashSet<String> = known
            .iter()
            .map(|o| key(&o.kind, &o.namespace, &o.name))
            .collect();
        let fresh: Vec<rule_orphan::ActiveModel> = check
            .orphans
            .iter()
            .filter(|o| {
                !kept.contains(&key(o.object.kind(), o.object.namespace(), o.object.name()))
            })
            .map(|o| rule_orphan::ActiveModel {
                cluster_id: Set(cluster_id),
                kind: Set(o.object.kind().to_string()),
                namespace: Set(o.object.namespace().to_string()),
                name: Set(o.object.name().to_string()),
                content: Set(Some(o.content.clone())),
                found_at: Set(t),
                ..Default::default()
            })
            .collect();
        if !fresh.is_empty() {
            rule_orphan::Entity::insert_many(fresh)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok((drifted, check.orphans.len() as u64))
    }
}
