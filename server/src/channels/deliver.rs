//! The notify path every alert takes, tests included: the receiver Gemscope renders for a
//! channel (a webhook to its own notify endpoint, with a token and never a channel secret), the
//! endpoint checking that token, and delivery with bounded retries, logged per attempt group.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::{ApiError, Code};
use app::model::{AmReceiver, AmWebhookConfig, ChannelConfig, Delivery};
use http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use super::payload::Group;
use super::vendors::Vendors;
use crate::auth::secrets::SecretBox;
use crate::db::entities::{channel, channel_delivery};
use crate::db::{clip, now, rfc3339};

pub struct Notifier {
    pub db: DatabaseConnection,
    pub secrets: Arc<SecretBox>,
    pub vendors: Vendors,
    /// Pauses between attempts: `backoff.len() + 1` attempts at most.
    pub backoff: Vec<Duration>,
}

/// Deliveries shown per channel.
pub const LOG_LIMIT: u64 = 50;

pub fn delivery_of(row: channel_delivery::Model) -> Delivery {
    Delivery {
        id: row.id,
        channel_id: row.channel_id,
        at: rfc3339(row.at),
        group: row.group_key,
        alerts: u32::try_from(row.alerts).unwrap_or_default(),
        ok: row.ok,
        upstream: row.upstream,
        latency_ms: u64::try_from(row.latency_ms).unwrap_or_default(),
        error: row.error,
        attempts: u32::try_from(row.attempts).unwrap_or_default(),
        test: row.test,
    }
}

impl Notifier {
    fn purpose(id: i64, version: i32) -> String {
        format!("notify:{id}:{version}")
    }

    pub fn token(&self, row: &channel::Model) -> String {
        self.secrets
            .token(&Self::purpose(row.id, row.token_version))
    }

    /// The notify URL of a channel under `base` (how a cluster reaches Gemscope).
    pub fn notify_url(&self, base: &str, row: &channel::Model) -> String {
        format!(
            "{}/api/notify/{}/{}",
            base.trim_end_matches('/'),
            row.id,
            self.token(row)
        )
    }

    /// The Alertmanager receiver for a channel: only a webhook to Gemscope.
    pub fn receiver(&self, base: &str, row: &channel::Model) -> AmReceiver {
        AmReceiver {
            name: app::domain::alert_rules::channel_receiver(row.id),
            webhook_configs: vec![AmWebhookConfig {
                url: self.notify_url(base, row),
                url_secret: None,
                send_resolved: Some(row.send_resolved),
            }],
        }
    }

    pub fn open(&self, row: &channel::Model) -> Result<ChannelConfig, ApiError> {
        let json = self.secrets.open(&row.config_sealed).map_err(|e| {
            tracing::error!(channel = row.id, error = %e, "cannot open channel configuration");
            ApiError::internal()
        })?;
        serde_json::from_str(&json).map_err(|e| {
            tracing::error!(channel = row.id, error = %e, "channel configuration is not valid");
            ApiError::internal()
        })
    }

    /// What the notify endpoint does with a POST: the token must be this channel's; the body an
    /// Alertmanager webhook payload. Delivers, logs, and returns the logged delivery.
    pub async fn receive(
        &self,
        channel_id: i64,
        token: &str,
        raw: Value,
        test: bool,
    ) -> Result<Delivery, ApiError> {
        let row = channel::Entity::find_by_id(channel_id)
            .one(&self.db)
            .await?;
        // An unknown channel and a wrong token look the same from outside.
        let Some(row) = row.filter(|r| {
            [Some(r.token_version), r.token_retired]
                .into_iter()
                .flatten()
                .any(|v| self.secrets.check_token(&Self::purpose(r.id, v), token))
        }) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                Code::WrongNotifyToken,
            ));
        };
        let group: Group = serde_json::from_value(raw.clone())
            .map_err(|e| ApiError::invalid("body", Code::NotWebhookPayload).arg(e))?;
        if group.alerts.is_empty() {
            return Err(ApiError::invalid("alerts", Code::NoAlerts));
        }
        let config = self.open(&row)?;
        let rendered = self.vendors.messages.render_group(&group).map_err(|e| {
            tracing::error!(channel = row.id, error = %e, "rendering a notification");
            ApiError::internal()
        })?;
        let started = Instant::now();
        let mut attempts = 0;
        let last = loop {
            let a = self.vendors.attempt(&config, &group, &rendered, &raw).await;
            attempts += 1;
            if a.ok || !a.transient || attempts > self.backoff.len() {
                break a;
            }
            tracing::info!(channel = row.id, attempt = attempts, error = %a.error, "delivery failed, retrying");
            tokio::time::sleep(self.backoff[attempts - 1]).await;
        };
        let logged = channel_delivery::ActiveModel {
            channel_id: Set(row.id),
            at: Set(now()),
            group_key: Set(clip(
                if group.group_key.is_empty() {
                    "-"
                } else {
                    &group.group_key
                },
                512,
            )),
            alerts: Set(i32::try_from(group.alerts.len()).unwrap_or(i32::MAX)),
            ok: Set(last.ok),
            upstream: Set(clip(&last.upstream, 256)),
            latency_ms: Set(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)),
            error: Set(clip(&last.error, 1024)),
            attempts: Set(attempts as i32),
            test: Set(test),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        if !last.ok {
            tracing::warn!(channel = row.id, upstream = %last.upstream, error = %last.error, "delivery failed");
        }
        Ok(delivery_of(logged))
    }

    pub async fn log(&self, channel_id: i64) -> Result<Vec<Delivery>, ApiError> {
        Ok(channel_delivery::Entity::find()
            .filter(channel_delivery::Column::ChannelId.eq(channel_id))
            .order_by_desc(channel_delivery::Column::Id)
            .limit(LOG_LIMIT)
            .all(&self.db)
            .await?
            .into_iter()
            .map(delivery_of)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::message::Messages;
    use crate::channels::public_client::{AllowList, PublicOnlyClient};
    use crate::channels::vendors::AliyunEndpoints;

    fn notifier() -> Notifier {
        Notifier {
            db: DatabaseConnection::default(),
            secrets: Arc::new(SecretBox::new([7; 32])),
            vendors: Vendors {
                client: PublicOnlyClient::new(AllowList::default(), Duration::from_secs(1))
                    .unwrap(),
                messages: Messages::new().unwrap(),
                aliyun: AliyunEndpoints::default(),
            },
            backoff: Vec::new(),
        }
    }

    fn row(id: i64, version: i32, send_resolved: bool) -> channel::Model {
        channel::Model {
            id,
            tenant_id: Some(3),
            owner_key: 3,
            name: "ops".into(),
            description: String::new(),
            kind: "dingtalk".into(),
            send_resolved,
            config_sealed: String::new(),
            token_version: version,
            token_retired: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// The receiver a cluster gets: a webhook to Gemscope with the channel's token, nothing of
    /// the channel's own configuration.
    #[test]
    fn receivers_are_webhooks_to_gemscope() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let n = notifier();
        let r = n.receiver("https://gemscope.example.com/", &row(12, 1, true));
        let token = n.token(&row(12, 1, true));
        let got = serde_norway::to_string(&r).unwrap();
        let want = format!(
            "name: gemscope-channel-12\nwebhookConfigs:\n- url: https://gemscope.example.com/api/notify/12/{token}\n  sendResolved: true\n"
        );
        assert_eq!(got, want);
        assert_eq!(token.len(), 22);
        // Another channel, or a rotated token, does not share it.
        assert_ne!(n.token(&row(13, 1, true)), token);
        assert_ne!(n.token(&row(12, 2, true)), token);
        assert!(n.secrets.check_token("notify:12:1", &token));
        assert!(!n.secrets.check_token("notify:12:1", &token[..21]));
    }
}
