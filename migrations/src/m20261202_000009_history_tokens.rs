//! History tokens per namespace, with a version per cluster so a system administrator can rotate
//! them: `history_token_version` is the one issued; `history_token_retired`, while set, is the
//! previous version, still accepted until every receiver of the cluster has been re-rendered.
//! Channels' notify tokens get the same retired version (`token_retired`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000009_history_tokens"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table("clusters")
                .add_column(integer("history_token_version").default(1))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("clusters")
                .add_column(integer_null("history_token_retired"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("channels")
                .add_column(integer_null("token_retired"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("channels")
                .drop_column("token_retired")
                .to_owned(),
        )
        .await?;
        for col in ["history_token_retired", "history_token_version"] {
            m.alter_table(Table::alter().table("clusters").drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
