//! Dashboards of an environment (inventory §1.8): graphs and variables as JSON, the template they
//! were made from, and who made them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000004_dashboards"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dashboards")
                .col(big_pk_auto("id"))
                .col(big_integer("environment_id"))
                .col(string_len("name", 63))
                .col(string_len("step", 32))
                .col(string_len("refresh", 32))
                .col(string_len("time_start", 63))
                .col(string_len("time_end", 63))
                .col(text("graphs"))
                .col(text("variables"))
                .col(string_len("template", 63))
                .col(string_len("creator", 63))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk(
                    "dashboards",
                    "environment_id",
                    "environments",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "dashboards",
            "uq_dashboards_environment_name",
            &["environment_id", "name"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("dashboards").to_owned())
            .await
    }
}
