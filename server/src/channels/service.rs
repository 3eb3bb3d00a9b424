//! Channel records: tenant channels (tenant admins) and system channels (system admins; every
//! tenant may use them). The configuration is sealed whole; reads mask the secrets, updates keep
//! the secrets they leave out.

use std::sync::Arc;

use app::api::channels::ChannelsPort;
use app::api::context::Caller;
use app::domain::channels::{inputs_only, keep_secrets, masked, validate};
use app::error::{ApiError, Code};
use app::model::{
    Channel, ChannelConfig, ChannelInput, ChannelPreview, Delivery, Role, SecretField,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use super::deliver::Notifier;
use super::payload::sample;
use crate::auth::authz::{require_system_admin, require_tenant};
use crate::db::entities::channel;
use crate::db::{conflict_or_internal, now, rfc3339};

pub struct ChannelsService {
    pub db: DatabaseConnection,
    pub notifier: Arc<Notifier>,
    /// Rules route to channels: a change re-renders them, a channel in use cannot go.
    pub rules: crate::alert_rules::RuleWriting,
}

/// A channel as read, with the configuration the reader may see.
fn view(row: &channel::Model, config: ChannelConfig) -> Channel {
    Channel {
        id: row.id,
        tenant_id: row.tenant_id,
        name: row.name.clone(),
        description: row.description.clone(),
        send_resolved: row.send_resolved,
        config,
        updated_at: rfc3339(row.updated_at),
    }
}

impl ChannelsService {
    fn read(&self, row: &channel::Model) -> Result<Channel, ApiError> {
        Ok(view(row, masked(self.notifier.open(row)?)))
    }

    /// A channel in a list: a system channel shows tenants only its name and kind (its phone
    /// numbers, addresses, hosts and key ids are the platform's, not theirs).
    fn read_for(&self, caller: &Caller, row: &channel::Model) -> Result<Channel, ApiError> {
        if row.tenant_id.is_none() && !caller.is_system_admin {
            let config = ChannelConfig::empty(&row.kind).ok_or_else(|| {
                tracing::error!(channel = row.id, kind = %row.kind, "stored channel kind is unknown");
                ApiError::internal()
            })?;
            return Ok(view(row, config));
        }
        self.read(row)
    }

    fn seal(&self, config: &ChannelConfig) -> Result<String, ApiError> {
        let json = serde_json::to_string(config).map_err(|e| {
            tracing::error!(error = %e, "serialising a channel");
            ApiError::internal()
        })?;
        self.notifier.secrets.seal(&json).map_err(|e| {
            tracing::error!(error = %e, "sealing a channel");
            ApiError::internal()
        })
    }

    /// Who may change a channel: its tenant's admins, or system admins for system channels.
    async fn may_change(&self, caller: &Caller, tenant_id: Option<i64>) -> Result<(), ApiError> {
        match tenant_id {
            Some(t) => require_tenant(&self.db, caller, t, Role::Admin)
                .await
                .map(|_| ()),
            None => require_system_admin(caller),
        }
    }

    /// A channel the caller may see: another tenant's does not exist for them.
    async fn find(&self, caller: &Caller, id: i64) -> Result<channel::Model, ApiError> {
        let row = channel::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found(Code::ChannelNotFound))?;
        if let Some(t) = row.tenant_id {
            require_tenant(&self.db, caller, t, Role::Viewer)
                .await
                .map_err(|_| ApiError::not_found(Code::ChannelNotFound))?;
        }
        Ok(row)
    }
}

#[async_trait::async_trait]
impl ChannelsPort for ChannelsService {
    async fn list(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
    ) -> Result<Vec<Channel>, ApiError> {
        let mut owners = Condition::any().add(channel::Column::OwnerKey.eq(0));
        if let Some(t) = tenant_id {
            require_tenant(&self.db, caller, t, Role::Viewer)
                .await
                .map_err(|_| ApiError::not_found(Code::TenantNotFound))?;
            owners = owners.add(channel::Column::TenantId.eq(t));
        }
        channel::Entity::find()
            .filter(owners)
            .order_by_asc(channel::Column::OwnerKey)
            .order_by_asc(channel::Column::Name)
            .all(&self.db)
            .await?
            .iter()
            .map(|r| self.read_for(caller, r))
            .collect()
    }

    async fn create(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
        mut input: ChannelInput,
    ) -> Result<Channel, ApiError> {
        self.may_change(caller, tenant_id).await?;
        input.name = input.name.trim().to_string();
        input.config = inputs_only(input.config);
        validate(&input)?;
        let t = now();
        let row = channel::ActiveModel {
            tenant_id: Set(tenant_id),
            owner_key: Set(tenant_id.unwrap_or(0)),
            name: Set(input.name.clone()),
            description: Set(input.description.clone()),
            kind: Set(input.config.kind().to_string()),
            send_resolved: Set(input.send_resolved),
            config_sealed: Set(self.seal(&input.config)?),
            token_version: Set(1),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| conflict_or_internal(e, "name", Code::ChannelExists))?;
        self.read(&row)
    }

    async fn update(
        &self,
        caller: &Caller,
        id: i64,
        mut input: ChannelInput,
    ) -> Result<Channel, ApiError> {
        let row = self.find(caller, id).await?;
        self.may_change(caller, row.tenant_id).await?;
        input.name = input.name.trim().to_string();
        let stored = self.notifier.open(&row)?;
        input.config = keep_secrets(input.config, &stored)?;
        validate(&input)?;
        let receiver_changed = row.send_resolved != input.send_resolved;
        let mut active: channel::ActiveModel = row.into();
        active.name = Set(input.name.clone());
        active.description = Set(input.description.clone());
        active.kind = Set(input.config.kind().to_string());
        active.send_resolved = Set(input.send_resolved);
        active.config_sealed = Set(self.seal(&input.config)?);
        active.updated_at = Set(now());
        let row = active
            .update(&self.db)
            .await
            .map_err(|e| conflict_or_internal(e, "name", Code::ChannelExists))?;
        if receiver_changed {
            // Every rule's receiver for this channel says whether resolved alerts are sent.
            let started = std::time::Instant::now();
            let (rules, writes) = self.rules.resync_channel(row.id).await?;
            tracing::info!(
                channel = row.id,
                rules,
                writes,
                ms = started.elapsed().as_millis() as u64,
                "re-rendered the rules of a changed channel"
            );
        }
        self.read(&row)
    }

    async fn delete(&self, caller: &Caller, id: i64) -> Result<(), ApiError> {
        let row = self.find(caller, id).await?;
        self.may_change(caller, row.tenant_id).await?;
        let users = self.rules.rules_using(row.id).await?;
        if !users.is_empty() {
            return Err(ApiError::conflict("channel", Code::ChannelInUse)
                .arg(users.len())
                .arg(users.join(", ")));
        }
        channel::Entity::delete_by_id(row.id).exec(&self.db).await?;
        Ok(())
    }

    async fn test(&self, caller: &Caller, id: i64) -> Result<Delivery, ApiError> {
        let row = self.find(caller, id).await?;
        self.may_change(caller, row.tenant_id).await?;
        // Exactly what Alertmanager does: take the URL of the rendered receiver and post the
        // payload to it, token and all.
        let receiver = self.notifier.receiver("", &row);
        let url = receiver
            .webhook_configs
            .first()
            .map(|w| w.url.clone())
            .unwrap_or_default();
        let token = url.rsplit('/').next().unwrap_or_default().to_string();
        let payload = sample(&row.name, &rfc3339(now()));
        let raw: Value = serde_json::to_value(&payload).map_err(|_| ApiError::internal())?;
        self.notifier.receive(row.id, &token, raw, true).await
    }

    async fn deliveries(&self, caller: &Caller, id: i64) -> Result<Vec<Delivery>, ApiError> {
        let row = self.find(caller, id).await?;
        // A system channel's log shows every tenant's alerts: system admins only.
        if row.tenant_id.is_none() {
            require_system_admin(caller)?;
        }
        self.notifier.log(row.id).await
    }

    async fn preview(
        &self,
        _caller: &Caller,
        mut input: ChannelInput,
    ) -> Result<ChannelPreview, ApiError> {
        // Secrets are never echoed: the preview uses placeholders in their place.
        for (name, f) in input.config.secrets_mut() {
            let placeholder = match (name, f.get()) {
                ("url", v) if !v.is_empty() => v.to_string(),
                ("url", _) => "https://example.invalid/••••".to_string(),
                _ => "••••".to_string(),
            };
            *f = SecretField::new(placeholder);
        }
        let group = sample(&input.name, &rfc3339(now()));
        let raw = serde_json::to_value(&group).map_err(|_| ApiError::internal())?;
        let r = self
            .notifier
            .vendors
            .messages
            .render_group(&group)
            .map_err(|e| ApiError::invalid("config", Code::ChannelConfig).arg(e))?;
        let out = self
            .notifier
            .vendors
            .outgoing(&input.config, &group, &r, &raw, now() * 1000)
            .map_err(|e| ApiError::invalid("config.url", Code::ChannelConfig).arg(e))?;
        let (url, body) = match out {
            Some(o) => (
                app::domain::channels::mask(&SecretField::new(o.url)).hint,
                o.body,
            ),
            None => (String::new(), String::new()),
        };
        Ok(ChannelPreview {
            title: r.title,
            markdown: r.markdown,
            subject: r.subject,
            html: r.html,
            url,
            body,
        })
    }

    async fn owner(&self, id: i64) -> Option<i64> {
        channel::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .ok()??
            .tenant_id
    }
}
