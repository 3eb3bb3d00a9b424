//! Table `job_runs`: one row per scheduled tick or "run now" request, which is both the queue
//! entry and the record the jobs page shows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job: String,
    pub tick_key: String,
    /// `schedule` or `manual`.
    pub origin: String,
    pub requested_by: Option<i64>,
    /// `queued`, `running`, `ok` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// Milliseconds; a retry waits until then.
    pub not_before: i64,
    pub lease_owner: String,
    /// Milliseconds; a running row whose lease has passed belongs to nobody.
    pub lease_until: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub counts: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
