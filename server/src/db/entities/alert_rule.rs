//! Table `alert_rules`. Levels, inhibit labels and generators are JSON text in the shape of
//! `app::model` (KubeGems' keys), so imported and exported rules read the same.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub namespace: String,
    pub name: String,
    pub environment_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub alert_type: String,
    #[sea_orm(column_type = "Text")]
    pub expr: String,
    pub for_duration: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    #[sea_orm(column_type = "Text")]
    pub inhibit_labels: String,
    #[sea_orm(column_type = "Text")]
    pub alert_levels: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub promql_generator: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub logql_generator: Option<String>,
    pub is_open: bool,
    pub state: String,
    pub sync_status: String,
    #[sea_orm(column_type = "Text")]
    pub sync_error: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub state_error: Option<String>,
    pub state_at: i64,
    pub check_status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub check_detail: Option<String>,
    pub checked_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
