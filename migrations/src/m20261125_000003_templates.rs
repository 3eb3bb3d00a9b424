//! The template library: PromQL templates (scope → resource → rule), dashboard templates and the
//! system alert rule set. A rule without a tenant is a preset every tenant sees.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000003_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("template_scopes")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 63))
                .col(string_len("show_name", 255))
                .col(boolean("namespaced"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("template_resources")
                .col(big_pk_auto("id"))
                .col(big_integer("scope_id"))
                .col(string_len("name", 63))
                .col(string_len("show_name", 255))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk(
                    "template_resources",
                    "scope_id",
                    "template_scopes",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "template_resources",
            "uq_template_resources_scope_name",
            &["scope_id", "name"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("template_rules")
                .col(big_pk_auto("id"))
                .col(big_integer("resource_id"))
                .col(big_integer_null("tenant_id"))
                .col(string_len("name", 63))
                .col(string_len("show_name", 255))
                .col(text("description"))
                .col(text("expr"))
                .col(string_len("unit", 63))
                .col(text("labels"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk(
                    "template_rules",
                    "resource_id",
                    "template_resources",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "template_rules",
                    "tenant_id",
                    "tenants",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // One name per resource across presets and tenants, so `scope.resource.rule` resolves
        // to exactly one rule.
        m.create_index(unique_index(
            "template_rules",
            "uq_template_rules_resource_name",
            &["resource_id", "name"],
        ))
        .await?;
        m.create_index(index(
            "template_rules",
            "ix_template_rules_tenant",
            &["tenant_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("dashboard_templates")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 63))
                .col(text("description"))
                .col(string_len("step", 32))
                .col(string_len("refresh", 32))
                .col(string_len("time_start", 63))
                .col(string_len("time_end", 63))
                .col(text("graphs"))
                .col(text("variables"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("alert_templates")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 63))
                .col(text("body"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "alert_templates",
            "dashboard_templates",
            "template_rules",
            "template_resources",
            "template_scopes",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
