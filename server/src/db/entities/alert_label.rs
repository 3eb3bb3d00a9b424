//! Table `alert_labels`: the labels of an alert instance, one row each, indexed by (name, value).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_labels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
