//! Table `alert_messages`: one row per status an alert was received in (unique on fingerprint,
//! start and status, so a re-sent notification stores nothing new).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fingerprint: String,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[sea_orm(column_type = "Text")]
    pub annotations: String,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
