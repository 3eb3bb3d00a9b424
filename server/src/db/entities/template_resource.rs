//! Table `template_resources`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_resources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub scope_id: i64,
    pub name: String,
    pub show_name: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
