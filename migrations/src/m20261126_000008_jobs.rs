//! Scheduled jobs (inventory §5.4–§5.6).
//!
//! - `job_runs`: the durable queue and the run record in one. A cron tick is a row keyed
//!   `(job, tick_key)`, so every replica may try to enqueue it and exactly one row exists; a
//!   replica claims a row with a conditional update and holds it through a lease that expires, so
//!   a replica dying mid-run leaves work that another one picks up.
//! - `alert_rules` gains the state sync's error and time, and the config check's result.
//! - `rule_orphans`: objects labelled as Gemscope's in a cluster that no rule row owns, as the
//!   last config check found them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000008_jobs"
    }
}

/// SQLite takes one column per ALTER TABLE.
fn add(col: impl Into<ColumnDef>) -> TableAlterStatement {
    Table::alter()
        .table("alert_rules")
        .add_column(col.into())
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("job_runs")
                .col(big_pk_auto("id"))
                .col(string_len("job", 40))
                .col(string_len("tick_key", 64))
                .col(string_len("origin", 16))
                .col(big_integer_null("requested_by"))
                .col(string_len("status", 16))
                .col(integer("attempts").default(0))
                .col(big_integer("not_before"))
                .col(string_len("lease_owner", 80).default(""))
                .col(big_integer("lease_until").default(0))
                .col(big_integer_null("started_at"))
                .col(big_integer_null("finished_at"))
                .col(text_null("counts"))
                .col(text_null("error"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "job_runs",
            "uq_job_runs_tick",
            &["job", "tick_key"],
        ))
        .await?;
        m.create_index(index(
            "job_runs",
            "ix_job_runs_due",
            &["status", "not_before"],
        ))
        .await?;
        m.create_index(index(
            "job_runs",
            "ix_job_runs_job_created",
            &["job", "created_at"],
        ))
        .await?;
        m.alter_table(add(text_null("state_error"))).await?;
        m.alter_table(add(big_integer("state_at").default(0)))
            .await?;
        m.alter_table(add(string_len("check_status", 16).default("")))
            .await?;
        m.alter_table(add(text_null("check_detail"))).await?;
        m.alter_table(add(big_integer("checked_at").default(0)))
            .await?;
        m.create_table(
            Table::create()
                .table("rule_orphans")
                .col(big_pk_auto("id"))
                .col(big_integer("cluster_id"))
                .col(string_len("kind", 40))
                .col(string_len("namespace", 255))
                .col(string_len("name", 255))
                .col(text_null("content"))
                .col(big_integer("found_at"))
                .foreign_key(&mut fk(
                    "rule_orphans",
                    "cluster_id",
                    "clusters",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "rule_orphans",
            "uq_rule_orphans_object",
            &["cluster_id", "kind", "namespace", "name"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rule_orphans").to_owned())
            .await?;
        for c in [
            "checked_at",
            "check_detail",
            "check_status",
            "state_at",
            "state_error",
        ] {
            m.alter_table(
                Table::alter()
                    .table("alert_rules")
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table("job_runs").to_owned())
            .await
    }
}
