//! Alert rules (inventory §1.1) and their receivers (§1.2). A rule is addressed by (cluster,
//! namespace, name); the environment and tenant that own it are kept so every read and write is
//! checked against the owner without a join. Sync status has room for a cluster's full error
//! (KubeGems' varchar(50) truncated it, §12.4).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000006_alert_rules"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("alert_rules")
                .col(big_pk_auto("id"))
                .col(big_integer("cluster_id"))
                .col(string_len("namespace", 63))
                .col(string_len("name", 63))
                // NULL for rules of the cluster's monitoring namespace (system rules).
                .col(big_integer_null("environment_id"))
                .col(big_integer_null("tenant_id"))
                .col(string_len("alert_type", 16))
                .col(text("expr"))
                .col(string_len("for_duration", 32))
                .col(text("message"))
                .col(text("inhibit_labels"))
                .col(text("alert_levels"))
                .col(text_null("promql_generator"))
                .col(text_null("logql_generator"))
                .col(boolean("is_open"))
                .col(string_len("state", 16))
                .col(string_len("sync_status", 16))
                .col(text("sync_error"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk(
                    "alert_rules",
                    "cluster_id",
                    "clusters",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "alert_rules",
                    "environment_id",
                    "environments",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "alert_rules",
            "uq_alert_rules_address",
            &["cluster_id", "namespace", "name"],
        ))
        .await?;
        m.create_index(index(
            "alert_rules",
            "ix_alert_rules_environment",
            &["environment_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alert_receivers")
                .col(big_pk_auto("id"))
                .col(big_integer("rule_id"))
                .col(big_integer("channel_id"))
                .col(string_len("repeat_interval", 32))
                .col(integer("position"))
                .foreign_key(&mut fk(
                    "alert_receivers",
                    "rule_id",
                    "alert_rules",
                    ForeignKeyAction::Cascade,
                ))
                // A channel in use cannot be deleted (inventory §1.2: RESTRICT).
                .foreign_key(&mut fk(
                    "alert_receivers",
                    "channel_id",
                    "channels",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "alert_receivers",
            "ix_alert_receivers_channel",
            &["channel_id"],
        ))
        .await?;
        m.create_index(unique_index(
            "alert_receivers",
            "uq_alert_receivers_rule_channel",
            &["rule_id", "channel_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["alert_receivers", "alert_rules"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
