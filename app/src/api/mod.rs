//! Server functions: the JSON API under `/api/...`, one file per area. Each body authenticates the
//! caller and hands over to a port (a trait the `server` crate implements).

pub mod account;
pub mod alert_rules;
pub mod alerts;
pub mod audit;
pub mod channels;
pub mod clusters;
pub mod collectors;
pub mod dashboards;
pub mod jobs;
pub mod metrics;
pub mod quota;
pub mod templates;
pub mod tenancy;
pub mod users;

#[cfg(feature = "ssr")]
pub mod context;
