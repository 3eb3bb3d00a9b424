//! Table `dashboards`: an environment's dashboards. `graphs` and `variables` are JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dashboards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub environment_id: i64,
    pub name: String,
    pub step: String,
    pub refresh: String,
    pub time_start: String,
    pub time_end: String,
    #[sea_orm(column_type = "Text")]
    pub graphs: String,
    #[sea_orm(column_type = "Text")]
    pub variables: String,
    pub template: String,
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
