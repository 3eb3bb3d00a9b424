//! Table `alert_instances`: one row per alert (cluster and Alertmanager fingerprint) that
//! Gemscope's history receiver has seen, with the tenant, project and environment its namespace
//! belonged to when it arrived.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_instances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub fingerprint: String,
    pub namespace: String,
    pub alert_name: String,
    pub tenant_id: Option<i64>,
    pub project_id: Option<i64>,
    pub environment_id: Option<i64>,
    /// The label set as a JSON object, for display; search goes through `alert_labels`.
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
