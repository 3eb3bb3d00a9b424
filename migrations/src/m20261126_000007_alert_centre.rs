//! The alert centre (inventory §1.4–§1.6, §11.1). Replaces the first history tables, which keyed
//! an alert by Alertmanager's fingerprint alone (two clusters with the same labels collided,
//! §12.16) and kept one row per status, so repeats could not be counted. Gemscope had no release
//! with those tables, so their rows are not carried over.
//!
//! - `alert_instances`: one row per (cluster, fingerprint), with the owner resolved at ingestion.
//! - `alert_labels`: the label set as rows, so `key=value` search is an indexed lookup on every
//!   database instead of MySQL's JSON operators (§12.13).
//! - `alert_notifications`: every notification received, repeats included; owner columns are
//!   copied in so analytics read one table through an index.
//! - `inbox_items`: the message centre, one row per (notification, recipient).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000007_alert_centre"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["alert_messages", "alert_infos"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        m.create_table(
            Table::create()
                .table("alert_instances")
                .col(big_pk_auto("id"))
                .col(big_integer("cluster_id"))
                .col(string_len("fingerprint", 64))
                .col(string_len("namespace", 63))
                .col(string_len("alert_name", 255))
                .col(big_integer_null("tenant_id"))
                .col(big_integer_null("project_id"))
                .col(big_integer_null("environment_id"))
                .col(text("labels"))
                .col(big_integer("first_seen"))
                .col(big_integer("last_seen"))
                .foreign_key(&mut fk(
                    "alert_instances",
                    "cluster_id",
                    "clusters",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "alert_instances",
            "uq_alert_instances_fingerprint",
            &["cluster_id", "fingerprint"],
        ))
        .await?;
        m.create_index(index(
            "alert_instances",
            "ix_alert_instances_rule",
            &["cluster_id", "namespace", "alert_name"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alert_labels")
                .col(big_integer("instance_id"))
                .col(string_len("name", 255))
                .col(string_len("value", 255))
                .primary_key(Index::create().col("instance_id").col("name"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_alert_labels_instance_id")
                        .from("alert_labels", "instance_id")
                        .to("alert_instances", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "alert_labels",
            "ix_alert_labels_pair",
            &["name", "value"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alert_notifications")
                .col(big_pk_auto("id"))
                .col(big_integer("instance_id"))
                .col(big_integer_null("tenant_id"))
                .col(big_integer_null("project_id"))
                .col(string_len("status", 16))
                .col(big_integer("starts_at"))
                .col(big_integer("ends_at"))
                .col(text("message"))
                .col(string_len("value", 255))
                .col(big_integer("received_at"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_alert_notifications_instance_id")
                        .from("alert_notifications", "instance_id")
                        .to("alert_instances", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "ix_alert_notifications_episode",
                &["instance_id", "starts_at"][..],
            ),
            (
                "ix_alert_notifications_tenant",
                &["tenant_id", "received_at"][..],
            ),
            ("ix_alert_notifications_received", &["received_at"][..]),
        ] {
            m.create_index(index("alert_notifications", name, cols))
                .await?;
        }
        m.create_table(
            Table::create()
                .table("inbox_items")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(big_integer("notification_id"))
                .col(boolean("is_read"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk(
                    "inbox_items",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_inbox_items_notification_id")
                        .from("inbox_items", "notification_id")
                        .to("alert_notifications", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "inbox_items",
            "ix_inbox_items_user",
            &["user_id", "is_read", "id"],
        ))
        .await?;
        m.create_index(index(
            "inbox_items",
            "ix_inbox_items_notification",
            &["notification_id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "inbox_items",
            "alert_notifications",
            "alert_labels",
            "alert_instances",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
