//! Schema steps, applied in order by `gemscope migrate` and at start-up.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261125_000001_accounts_and_tenancy;
mod m20261125_000002_cluster_checks;
mod m20261125_000003_templates;
mod m20261125_000004_dashboards;
mod m20261125_000005_channels;
mod m20261126_000006_alert_rules;
mod m20261126_000007_alert_centre;
mod m20261126_000008_jobs;
mod m20261202_000009_history_tokens;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts_and_tenancy::Migration),
            Box::new(m20261125_000002_cluster_checks::Migration),
            Box::new(m20261125_000003_templates::Migration),
            Box::new(m20261125_000004_dashboards::Migration),
            Box::new(m20261125_000005_channels::Migration),
            Box::new(m20261126_000006_alert_rules::Migration),
            Box::new(m20261126_000007_alert_centre::Migration),
            Box::new(m20261126_000008_jobs::Migration),
            Box::new(m20261202_000009_history_tokens::Migration),
        ]
    }
}
