//! The write saga: a rule's change goes to the cluster inside the database transaction, and a
//! failure on either side puts the cluster back to what the database says.

use super::*;

impl RulesCore {
    /// Writes one rule's change and settles its silence, then commits; if anything fails the
    /// transaction is rolled back and the cluster is put back to what the database says.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn commit_with_cluster(
        &self,
        txn: DatabaseTransaction,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        after: Option<&RuleObject>,
        before: Option<AlertType>,
        enabled: Option<bool>,
    ) -> Result<usize, ApiError> {
        let kinds = [after.map(|a| a.kind), before];
        let all = if Self::needs_all(handle, &kinds) {
            self.cluster_objects(&txn, handle).await?
        } else {
            Vec::new()
        };
        let change = Change {
            namespace,
            name,
            after,
            before,
            rules: &all,
        };
        let written = handle.backend.apply(&change).await;
        let result = match written {
            Err(e) => Err(cluster_error(handle, e)),
            Ok(n) => match enabled {
                Some(enabled) => self
                    .silence(handle, namespace, name, enabled)
                    .await
                    .map(|m| n + m),
                None => Ok(n),
            },
        };
        let attempted = after.map(|a| a.kind).or(before);
        match result {
            Ok(n) => match txn.commit().await {
                Ok(()) => Ok(n),
                Err(e) => {
                    self.restore(handle, namespace, name, attempted, enabled.is_some())
                        .await;
                    Err(ApiError::from(e))
                }
            },
            Err(e) => {
                if let Err(re) = txn.rollback().await {
                    tracing::error!(error = %re, "rollback failed");
                }
                self.restore(handle, namespace, name, attempted, enabled.is_some())
                    .await;
                Err(e)
            }
        }
    }

    pub(super) async fn silence(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        enabled: bool,
    ) -> Result<usize, ApiError> {
        let am = self.alertmanager(handle)?;
        silences::ensure_rule(&am, namespace, name, enabled)
            .await
            .map_err(|e| alertmanager_error(handle, e))
    }

    /// Puts the cluster back to what the database holds for one rule (after a failed save).
    /// Retried, because the failure that got us here may well happen again.
    pub(super) async fn restore(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        attempted: Option<AlertType>,
        silence: bool,
    ) {
        for attempt in 0..40 {
            match self
                .try_restore(handle, namespace, name, attempted, silence)
                .await
            {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(cluster = %handle.name, %namespace, %name, attempt, error = %e.message, "restoring the cluster after a failed save");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        tracing::error!(cluster = %handle.name, %namespace, %name, "the cluster could not be restored; a re-sync will");
    }

    pub(super) async fn try_restore(
        &self,
        handle: &ClusterHandle,
        namespace: &str,
        name: &str,
        attempted: Option<AlertType>,
        silence: bool,
    ) -> Result<(), ApiError> {
        let stored = store::one(&self.db, handle.id, namespace, name).await?;
        let after = match &stored {
            Some(s) => {
                let input = s.input();
                let target = s.target();
                let rendered = domain::from_stored(&input, &target)?;
                Some(
                    self.object(
                        &self.db,
                        handle,
                        s.row.tenant_id,
                        &target,
                        &input,
                        &rendered,
                    )
                    .await?,
                )
            }
            None => None,
        };
        let before = match (&after, attempted) {
            (Some(a), Some(k)) if a.kind == k => None,
            (_, k) => k,
        };
        let kinds = [after.as_ref().map(|a| a.kind), before];
        let all = if Self::needs_all(handle, &kinds) {
            self.cluster_objects(&self.db, handle).await?
        } else {
            Vec::new()
        };
        handle
            .backend
            .apply(&Change {
                namespace,
                name,
                after: after.as_ref(),
                before,
                rules: &all,
            })
            .await
            .map_err(|e| cluster_error(handle, e))?;
        if silence {
            let enabled = stored.as_ref().is_none_or(|s| s.row.is_open);
            self.silence(handle, namespace, name, enabled).await?;
        }
        Ok(())
    }

    /// The rule checked and rendered with its template, and the input as it is stored.
    pub(super) async fn rendered_input(
        &self,
        place: &RulePlace,
        input: &AlertRuleInput,
    ) -> Result<(Rendered, AlertRuleInput), ApiError> {
        let template = self.template(place, input).await?;
        let rendered = domain::render(input, &place.target(), template.as_ref())?;
        let stored = rendered.stored(input);
        Ok((rendered, stored))
    }

    /// A rule as committed, after a write.
    pub(super) async fn reread(&self, place: &RulePlace, name: &str) -> Result<Stored, ApiError> {
        store::one(&self.db, place.handle.id, &place.namespace, name)
            .await?
            .ok_or_else(ApiError::internal)
    }
}
