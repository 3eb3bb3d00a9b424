//! Table `rule_orphans`: cluster objects labelled as Gemscope's alert rules that no rule row
//! owns, as the last config check of their cluster found them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_orphans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub content: Option<String>,
    pub found_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
