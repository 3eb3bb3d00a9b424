//! Creating, updating, deleting, enabling and disabling one rule.

use super::*;
use app::error::Code;

impl RuleWriting {
    /// Creates a rule: row, receivers, cluster objects and silence, all or nothing.
    pub async fn create_rule(
        &self,
        place: &RulePlace,
        input: AlertRuleInput,
    ) -> Result<Stored, ApiError> {
        // The monitoring namespace holds the system rules alone, so no environment's rule
        // (an environment a system administrator bound there) can take a system rule's name.
        if place.environment_id.is_some()
            && place.namespace == place.handle.settings.monitoring_ns()
        {
            return Err(ApiError::conflict(
                "namespace",
                Code::MonitoringNamespaceRule,
            ));
        }
        let target = place.target();
        let (rendered, stored_input) = self.rendered_input(place, &input).await?;
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await?;
        if store::one(&txn, place.handle.id, &place.namespace, &input.name)
            .await?
            .is_some()
        {
            return Err(ApiError::conflict("name", Code::RuleInOtherNamespace)
                .arg(&input.name)
                .arg(&place.namespace));
        }
        let obj = self
            .object(
                &txn,
                &place.handle,
                place.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        let t = now();
        let mut row = alert_rule::ActiveModel {
            cluster_id: Set(place.handle.id),
            namespace: Set(place.namespace.clone()),
            name: Set(input.name.clone()),
            environment_id: Set(place.environment_id),
            tenant_id: Set(place.tenant_id),
            is_open: Set(input.is_open),
            state: Set("inactive".into()),
            sync_status: Set(store::SYNC_OK.into()),
            sync_error: Set(String::new()),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        };
        store::columns(&mut row, &stored_input)?;
        let row = row
            .insert(&txn)
            .await
            .map_err(|e| crate::db::conflict_or_internal(e, "name", Code::RuleExists))?;
        store::set_receivers(&txn, row.id, &stored_input).await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            &input.name,
            Some(&obj),
            None,
            // A new rule has no silence (deleting a rule expires its silence); only a rule
            // created disabled needs one.
            (!input.is_open).then_some(false),
        )
        .await?;
        self.reread(place, &input.name).await
    }

    pub async fn update_rule(
        &self,
        place: &RulePlace,
        name: &str,
        input: AlertRuleInput,
    ) -> Result<Stored, ApiError> {
        if input.name != name {
            return Err(ApiError::invalid("name", Code::RuleRename));
        }
        let target = place.target();
        let (rendered, stored_input) = self.rendered_input(place, &input).await?;
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::AlertRuleNotFound))?;
        let obj = self
            .object(
                &txn,
                &place.handle,
                place.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        let mut row: alert_rule::ActiveModel = old.row.clone().into();
        store::columns(&mut row, &stored_input)?;
        row.updated_at = Set(now());
        row.sync_status = Set(store::SYNC_OK.into());
        row.sync_error = Set(String::new());
        row.update(&txn).await?;
        store::set_receivers(&txn, old.row.id, &stored_input).await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            name,
            Some(&obj),
            Some(old.kind()),
            None,
        )
        .await?;
        self.reread(place, name).await
    }

    pub async fn delete_rule(&self, place: &RulePlace, name: &str) -> Result<(), ApiError> {
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::AlertRuleNotFound))?;
        alert_receiver::Entity::delete_many()
            .filter(alert_receiver::Column::RuleId.eq(old.row.id))
            .exec(&txn)
            .await?;
        alert_rule::Entity::delete_by_id(old.row.id)
            .exec(&txn)
            .await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &place.namespace,
            name,
            None,
            Some(old.kind()),
            Some(true),
        )
        .await?;
        Ok(())
    }

    pub async fn set_rule_enabled(
        &self,
        place: &RulePlace,
        name: &str,
        enabled: bool,
    ) -> Result<Stored, ApiError> {
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await?;
        let old = store::one(&txn, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::AlertRuleNotFound))?;
        let mut row: alert_rule::ActiveModel = old.row.clone().into();
        row.is_open = Set(enabled);
        row.updated_at = Set(now());
        row.update(&txn).await?;
        if let Err(e) = self
            .silence(&place.handle, &place.namespace, name, enabled)
            .await
        {
            let _ = txn.rollback().await;
            return Err(e);
        }
        if let Err(e) = txn.commit().await {
            let _ = self
                .silence(&place.handle, &place.namespace, name, old.row.is_open)
                .await;
            return Err(ApiError::from(e));
        }
        self.reread(place, name).await
    }
}
