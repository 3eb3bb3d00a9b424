//! Users, sessions, API tokens, tenants, members, projects, clusters, environments and the audit
//! log. Timestamps are Unix seconds in BIGINT columns: the same type and ordering on every database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_accounts_and_tenancy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("username", 64))
                .col(string_len("display_name", 128))
                .col(string_len("email", 254))
                .col(string_len("password_hash", 255))
                .col(boolean("is_system_admin"))
                .col(boolean("active"))
                .col(string_len("language", 16))
                .col(string_len("theme", 16))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sessions")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("token_hash", 64))
                .col(big_integer("user_id"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .col(big_integer("last_seen_at"))
                .foreign_key(&mut fk(
                    "sessions",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", "idx_sessions_user", &["user_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("name", 128))
                .col(string_len("prefix", 16))
                .col(string_len_uniq("token_hash", 64))
                .col(big_integer("created_at"))
                .col(big_integer_null("expires_at"))
                .col(big_integer_null("last_used_at"))
                .foreign_key(&mut fk(
                    "api_tokens",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_tokens", "idx_api_tokens_user", &["user_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("tenants")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 63))
                .col(string_len("description", 1024))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("tenant_members")
                .col(big_pk_auto("id"))
                .col(big_integer("tenant_id"))
                .col(big_integer("user_id"))
                .col(string_len("role", 16))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk(
                    "tenant_members",
                    "tenant_id",
                    "tenants",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "tenant_members",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "tenant_members",
            "uq_tenant_members",
            &["tenant_id", "user_id"],
        ))
        .await?;
        m.create_index(index(
            "tenant_members",
            "idx_tenant_members_user",
            &["user_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("projects")
                .col(big_pk_auto("id"))
                .col(big_integer("tenant_id"))
                .col(string_len("name", 63))
                .col(string_len("description", 1024))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk(
                    "projects",
                    "tenant_id",
                    "tenants",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "projects",
            "uq_projects_tenant_name",
            &["tenant_id", "name"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("clusters")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 63))
                .col(string_len("description", 1024))
                .col(string_len("kind", 16))
                .col(text("settings"))
                .col(text_null("secrets"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("environments")
                .col(big_pk_auto("id"))
                .col(big_integer("tenant_id"))
                .col(big_integer("project_id"))
                .col(big_integer("cluster_id"))
                .col(string_len("name", 63))
                .col(string_len("namespace", 63))
                .col(string_len("description", 1024))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk(
                    "environments",
                    "tenant_id",
                    "tenants",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "environments",
                    "project_id",
                    "projects",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "environments",
                    "cluster_id",
                    "clusters",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "environments",
            "uq_environments_project_name",
            &["project_id", "name"],
        ))
        .await?;
        m.create_index(unique_index(
            "environments",
            "uq_environments_namespace",
            &["cluster_id", "namespace"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("audit_logs")
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                .col(big_integer_null("user_id"))
                .col(string_len("username", 64))
                .col(string_len("action", 64))
                .col(string_len("target", 512))
                .col(big_integer_null("tenant_id"))
                .col(boolean("success"))
                .col(string_len("detail", 1024))
                .col(string_len("ip", 64))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_logs", "idx_audit_logs_tenant", &["tenant_id"]))
            .await?;
        m.create_index(index("audit_logs", "idx_audit_logs_user", &["user_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_logs",
            "environments",
            "clusters",
            "projects",
            "tenant_members",
            "tenants",
            "api_tokens",
            "sessions",
            "users",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
