//! Pure logic shared by browser and server: no I/O.

pub mod alert_centre;
pub mod alert_rules;
pub mod am_config;
pub mod channel_secrets;
pub mod channels;
pub mod collectors;
pub mod confine;
pub mod dashboards;
pub mod explore;
pub mod go_template;
#[cfg(test)]
mod golden;
pub mod logql;
pub mod presets;
pub mod promql_scope;
pub mod receiver_secret;
pub mod rule_file;
pub mod rule_objects;
pub mod templates;
pub mod time_range;
pub mod units;
pub mod validate;
