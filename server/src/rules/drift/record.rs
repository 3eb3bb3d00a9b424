//! Storing a check's result.

use super::*;

impl AlertRulesService {
    /// Stores a cluster's results: each rule's status, and the orphans found (replacing the
    /// previous ones), in one transaction. Returns (drifted, orphans).
    pub async fn record_check(
        &self,
        cluster_id: i64,
        check: &DriftCheck,
    ) -> Result<(u64, u64), ApiError> {
        let t = now();
        let txn = crate::db::begin_write(&self.db).await.map_err(internal)?;
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
                Err(e) => return Err(internal(e)),
            }
        }
        // Orphans still there keep their row (and id, which an open page may act on); gone ones
        // are dropped, new ones added.
        let known = rule_orphan::Entity::find()
            .filter(rule_orphan::Column::ClusterId.eq(cluster_id))
            .all(&txn)
            .await
            .map_err(internal)?;
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
                .await
                .map_err(internal)?;
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
                .await
                .map_err(internal)?;
        }
        txn.commit().await.map_err(internal)?;
        Ok((drifted, check.orphans.len() as u64))
    }
}
