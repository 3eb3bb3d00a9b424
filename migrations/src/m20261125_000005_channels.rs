//! Alert channels (inventory §1.3, §4) with their configuration sealed at rest, the delivery log,
//! and the alert history that Gemscope's own receiver stores (inventory §1.4, §1.5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000005_channels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("channels")
                .col(big_pk_auto("id"))
                .col(big_integer_null("tenant_id"))
                // The tenant id, or 0 for a system channel: names are unique per owner, and
                // NULLs would escape a unique index.
                .col(big_integer("owner_key"))
                .col(string_len("name", 64))
                .col(string_len("description", 512))
                .col(string_len("kind", 32))
                .col(boolean("send_resolved"))
                .col(text("config_sealed"))
                .col(integer("token_version"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk(
                    "channels",
                    "tenant_id",
                    "tenants",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "channels",
            "uq_channels_owner_name",
            &["owner_key", "name"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("channel_deliveries")
                .col(big_pk_auto("id"))
                .col(big_integer("channel_id"))
                .col(big_integer("at"))
                .col(string_len("group_key", 512))
                .col(integer("alerts"))
                .col(boolean("ok"))
                .col(string_len("upstream", 256))
                .col(big_integer("latency_ms"))
                .col(string_len("error", 1024))
                .col(integer("attempts"))
                .col(boolean("test"))
                .foreign_key(&mut fk(
                    "channel_deliveries",
                    "channel_id",
                    "channels",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "channel_deliveries",
            "ix_channel_deliveries_channel_at",
            &["channel_id", "at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alert_infos")
                .col(string_len("fingerprint", 64).primary_key())
                .col(big_integer("cluster_id"))
                .col(string_len("namespace", 63))
                .col(string_len("alert_name", 255))
                .col(big_integer_null("tenant_id"))
                .col(big_integer_null("project_id"))
                .col(big_integer_null("environment_id"))
                .col(text("labels"))
                .col(big_integer("first_seen"))
                .col(big_integer("last_seen"))
                .foreign_key(&mut fk(
                    "alert_infos",
                    "cluster_id",
                    "clusters",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "alert_infos",
            "ix_alert_infos_tenant",
            &["tenant_id", "last_seen"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alert_messages")
                .col(big_pk_auto("id"))
                .col(string_len("fingerprint", 64))
                .col(string_len("status", 16))
                .col(big_integer("starts_at"))
                .col(big_integer("ends_at"))
                .col(text("annotations"))
                .col(big_integer("received_at"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_alert_messages_fingerprint")
                        .from("alert_messages", "fingerprint")
                        .to("alert_infos", "fingerprint")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        // One row per status change of an alert: Alertmanager re-sending the same status stores
        // nothing new.
        m.create_index(unique_index(
            "alert_messages",
            "uq_alert_messages_status",
            &["fingerprint", "starts_at", "status"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "alert_messages",
            "alert_infos",
            "channel_deliveries",
            "channels",
        ] {
            // The history tables are gone after the alert-centre step.
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
