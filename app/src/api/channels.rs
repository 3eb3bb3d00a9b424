//! Alert channels: tenant channels (tenant admins manage them) and system channels (system
//! admins manage them, every tenant may use them). Secrets are never read back; Test sends a
//! sample alert through the same path real alerts take; every delivery is logged.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::ApiError;
use crate::model::{Channel, ChannelInput, ChannelPreview, Delivery};

#[cfg(feature = "ssr")]
use super::context::Caller;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ChannelsPort: Send + Sync {
    /// The tenant's channels and the system's; `None`: the system's only.
    async fn list(&self, caller: &Caller, tenant_id: Option<i64>)
    -> Result<Vec<Channel>, ApiError>;
    async fn create(
        &self,
        caller: &Caller,
        tenant_id: Option<i64>,
        input: ChannelInput,
    ) -> Result<Channel, ApiError>;
    async fn update(
        &self,
        caller: &Caller,
        id: i64,
        input: ChannelInput,
    ) -> Result<Channel, ApiError>;
    async fn delete(&self, caller: &Caller, id: i64) -> Result<(), ApiError>;
    /// Sends a sample firing alert through the notify path; the answer is the logged delivery.
    async fn test(&self, caller: &Caller, id: i64) -> Result<Delivery, ApiError>;
    async fn deliveries(&self, caller: &Caller, id: i64) -> Result<Vec<Delivery>, ApiError>;
    /// What a channel of this configuration would send for the sample alert (secrets not shown).
    async fn preview(
        &self,
        caller: &Caller,
        input: ChannelInput,
    ) -> Result<ChannelPreview, ApiError>;
    /// The tenant that owns a channel (`None`: a system channel or none), for the audit row.
    async fn owner(&self, id: i64) -> Option<i64>;
}

#[server(prefix = "/api", endpoint = "channels/list", input = Json)]
pub async fn list_channels(tenant_id: Option<i64>) -> Result<Vec<Channel>, ApiError> {
    use super::context::*;
    respond(async { services()?.channels.list(&caller().await?, tenant_id).await }).await
}

#[server(prefix = "/api", endpoint = "channels/create", input = Json)]
pub async fn create_channel(
    tenant_id: Option<i64>,
    channel: ChannelInput,
) -> Result<Channel, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "channel.create",
            target: format!("channel/{}", channel.name),
            tenant_id,
        };
        audited(&c, t, s.channels.create(&c, tenant_id, channel)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/update", input = Json)]
pub async fn update_channel(channel_id: i64, channel: ChannelInput) -> Result<Channel, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "channel.update",
            target: format!("channel/{channel_id}"),
            tenant_id: s.channels.owner(channel_id).await,
        };
        audited(&c, t, s.channels.update(&c, channel_id, channel)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/delete", input = Json)]
pub async fn delete_channel(channel_id: i64) -> Result<(), ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "channel.delete",
            target: format!("channel/{channel_id}"),
            tenant_id: s.channels.owner(channel_id).await,
        };
        audited(&c, t, s.channels.delete(&c, channel_id)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/test", input = Json)]
pub async fn test_channel(channel_id: i64) -> Result<Delivery, ApiError> {
    use super::context::*;
    respond(async {
        let (c, s) = (caller().await?, services()?);
        let t = AuditTarget {
            action: "channel.test",
            target: format!("channel/{channel_id}"),
            tenant_id: s.channels.owner(channel_id).await,
        };
        audited(&c, t, s.channels.test(&c, channel_id)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/deliveries", input = Json)]
pub async fn channel_deliveries(channel_id: i64) -> Result<Vec<Delivery>, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .channels
            .deliveries(&caller().await?, channel_id)
            .await
    })
    .await
}

#[server(prefix = "/api", endpoint = "channels/preview", input = Json)]
pub async fn preview_channel(channel: ChannelInput) -> Result<ChannelPreview, ApiError> {
    use super::context::*;
    respond(async {
        services()?
            .channels
            .preview(&caller().await?, channel)
            .await
    })
    .await
}
