//! Rotating the tokens a cluster's Alertmanager presents to Gemscope: a namespace's history
//! token (per cluster version) and a channel's notify token. The previous version stays valid
//! until every rule that carries it has been re-rendered, so no alert is lost in between; a
//! rule that could not be re-rendered keeps the old token working and is named in the answer.

use std::collections::HashMap;

use app::api::context::Caller;
use app::error::{ApiError, Code};
use app::model::TokenRotation;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};

use super::store::{self, Stored};
use super::{RulePlace, RuleWriting};
use crate::auth::authz::require_system_admin;
use crate::clusters::service::ClusterHandle;
use crate::db::entities::{alert_receiver, alert_rule, channel, cluster};

impl RuleWriting {
    /// Rewrites the routing of `rules` (their AlertmanagerConfig or alertmanager.yml part) and
    /// records each outcome; returns the rules, the writes and the rules that failed.
    pub(super) async fn rewrite_routing(
        &self,
        rules: Vec<Stored>,
    ) -> Result<(usize, usize, Vec<String>), ApiError> {
        let (mut count, mut writes, mut failed) = (0, 0, Vec::new());
        let mut handles: HashMap<i64, ClusterHandle> = HashMap::new();
        for s in rules {
            let handle = match handles.get(&s.row.cluster_id) {
                Some(h) => h.clone(),
                None => {
                    let h = self.clusters.handle(s.row.cluster_id).await?;
                    handles.insert(s.row.cluster_id, h.clone());
                    h
                }
            };
            let place = RulePlace::of_rule(handle, &s);
            let r = self.rewrite(&place, &s, false).await;
            self.record_sync(s.row.id, &r).await;
            count += 1;
            match r {
                Ok(w) => writes += w,
                Err(e) => failed.push(format!("{}/{}: {}", s.row.namespace, s.row.name, e.message)),
            }
        }
        Ok((count, writes, failed))
    }

    /// The rules that notify a channel.
    pub(super) async fn rules_of_channel(&self, channel_id: i64) -> Result<Vec<Stored>, ApiError> {
        let ids: Vec<i64> = alert_receiver::Entity::find()
            .filter(alert_receiver::Column::ChannelId.eq(channel_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| r.rule_id)
            .collect();
        store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::Id.is_in(ids)),
        )
        .await
    }

    /// A new history token version for every namespace of the cluster.
    pub async fn rotate_history(
        &self,
        caller: &Caller,
        cluster_id: i64,
    ) -> Result<TokenRotation, ApiError> {
        require_system_admin(caller)?;
        let row = cluster::Entity::find_by_id(cluster_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::ClusterNotFound))?;
        let version = row.history_token_version + 1;
        let bump = |retired: Option<i32>| cluster::ActiveModel {
            id: Set(row.id),
            history_token_version: Set(version),
            history_token_retired: Set(retired),
            ..Default::default()
        };
        bump(Some(version - 1)).update(&self.db).await?;
        let rules = store::load(
            &self.db,
            Condition::all().add(alert_rule::Column::ClusterId.eq(cluster_id)),
        )
        .await?;
        let rotation = self.rewrite_after_rotation(rules, version).await?;
        if !rotation.old_token_still_valid {
            bump(None).update(&self.db).await?;
        }
        Ok(rotation)
    }

    /// A new notify token for a channel.
    pub async fn rotate_channel(
        &self,
        caller: &Caller,
        channel_id: i64,
    ) -> Result<TokenRotation, ApiError> {
        require_system_admin(caller)?;
        let row = channel::Entity::find_by_id(channel_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::ChannelNotFound))?;
        let version = row.token_version + 1;
        let bump = |retired: Option<i32>| channel::ActiveModel {
            id: Set(row.id),
            token_version: Set(version),
            token_retired: Set(retired),
            ..Default::default()
        };
        bump(Some(version - 1)).update(&self.db).await?;
        let rules = self.rules_of_channel(channel_id).await?;
        let rotation = self.rewrite_after_rotation(rules, version).await?;
        if !rotation.old_token_still_valid {
            bump(None).update(&self.db).await?;
        }
        Ok(rotation)
    }

    /// Re-renders the routing of the rules that carry a rotated token; the old token is retired
    /// only when every one of them was written.
    async fn rewrite_after_rotation(
        &self,
        rules: Vec<Stored>,
        version: i32,
    ) -> Result<TokenRotation, ApiError> {
        let (rules, _, failed) = self.rewrite_routing(rules).await?;
        Ok(TokenRotation {
            version,
            rules,
            old_token_still_valid: !failed.is_empty(),
            failed,
        })
    }
}
