//! Writing stored rules again: one rule (re-sync, repair), and every rule that uses a channel.

use super::*;

impl RulesCore {
    /// Writes one stored rule again (re-rendered from its template, so a template edit reaches
    /// the rule, inventory §12.5) and settles its silence. Returns how many writes it took.
    pub(super) async fn resync_one(
        &self,
        place: &RulePlace,
        s: &Stored,
    ) -> Result<usize, ApiError> {
        self.rewrite(place, s, true).await
    }

    /// `full`: re-render from the template and settle the silence too; otherwise only the
    /// routing can have changed (a channel edit), so the stored rendering is written again.
    pub(super) async fn rewrite(
        &self,
        place: &RulePlace,
        s: &Stored,
        full: bool,
    ) -> Result<usize, ApiError> {
        let input = s.input();
        let template = if full {
            self.template(place, &input).await?
        } else {
            None
        };
        let target = s.target();
        let rendered = if full && (template.is_some() || input.logql_generator.is_some()) {
            domain::render(&input, &target, template.as_ref())?
        } else {
            domain::from_stored(&input, &target)?
        };
        let stored_input = rendered.stored(&input);
        let _guard = self.lock(place.handle.id).await;
        let txn = crate::db::begin_write(&self.db).await?;
        if stored_input.expr != s.row.expr || stored_input.message != s.row.message {
            let mut row: alert_rule::ActiveModel = s.row.clone().into();
            store::columns(&mut row, &stored_input)?;
            row.updated_at = Set(now());
            row.update(&txn).await?;
        }
        let obj = self
            .object(
                &txn,
                &place.handle,
                s.row.tenant_id,
                &target,
                &stored_input,
                &rendered,
            )
            .await?;
        self.commit_with_cluster(
            txn,
            &place.handle,
            &s.row.namespace,
            &s.row.name,
            Some(&obj),
            Some(s.kind()),
            full.then_some(s.row.is_open),
        )
        .await
    }

    /// Records the outcome of a sync on the row (the list shows it).
    pub(super) async fn record_sync(&self, id: i64, result: &Result<usize, ApiError>) {
        let (status, error) = match result {
            Ok(_) => (store::SYNC_OK, String::new()),
            Err(e) => (store::SYNC_ERROR, e.message.clone()),
        };
        let update = alert_rule::ActiveModel {
            id: Set(id),
            sync_status: Set(status.into()),
            sync_error: Set(error),
            ..Default::default()
        };
        if let Err(e) = update.update(&self.db).await {
            tracing::warn!(rule = id, error = %e, "recording the sync status");
        }
    }
}

impl RuleWriting {
    /// Re-syncs every rule that notifies a channel (after the channel changed). Returns the
    /// number of rules and of writes.
    pub async fn resync_channel(&self, channel_id: i64) -> Result<(usize, usize), ApiError> {
        let rules = self.rules_of_channel(channel_id).await?;
        let (count, writes, _) = self.rewrite_routing(rules).await?;
        Ok((count, writes))
    }

    /// Rule names that notify a channel (a channel in use cannot be deleted).
    pub async fn rules_using(&self, channel_id: i64) -> Result<Vec<String>, ApiError> {
        Ok(self
            .rules_of_channel(channel_id)
            .await?
            .into_iter()
            .map(|s| format!("{}/{}", s.row.namespace, s.row.name))
            .collect())
    }
}
