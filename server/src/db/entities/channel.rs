//! Table `channels`: alert channels of a tenant, or of the system (`tenant_id` NULL, `owner_key`
//! 0). `config_sealed` is the whole configuration, secrets included, sealed with the server key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub owner_key: i64,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub send_resolved: bool,
    #[sea_orm(column_type = "Text")]
    pub config_sealed: String,
    pub token_version: i32,
    /// The previous token version, accepted until a rotation has re-rendered every rule.
    pub token_retired: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
