//! sea-orm entities, one per table (see the `migration` crate for the schema).

pub mod api_token;
pub mod audit_log;
pub mod cluster;
pub mod environment;
pub mod project;
pub mod session;
pub mod tenant;
pub mod tenant_member;
pub mod user;
