//! Table `alert_notifications`: every notification of an alert that Gemscope's history receiver
//! got, repeats included. An episode is the rows of one instance with the same `starts_at`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub instance_id: i64,
    pub tenant_id: Option<i64>,
    pub project_id: Option<i64>,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub value: String,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
