//! Table `channel_deliveries`: one row per delivery of an alert group to a channel.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    pub at: i64,
    pub group_key: String,
    pub alerts: i32,
    pub ok: bool,
    pub upstream: String,
    pub latency_ms: i64,
    pub error: String,
    pub attempts: i32,
    pub test: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
