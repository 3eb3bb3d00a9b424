//! Table `alert_infos`: one row per alert fingerprint seen by Gemscope's history receiver, with
//! the tenant, project and environment its cluster and namespace belong to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_infos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fingerprint: String,
    pub cluster_id: i64,
    pub namespace: String,
    pub alert_name: String,
    pub tenant_id: Option<i64>,
    pub project_id: Option<i64>,
    pub environment_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
