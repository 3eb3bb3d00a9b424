//! sea-orm entities, one per table (see the `migration` crate for the schema).

pub mod user;
pub mod session;
pub mod api_token;
pub mod tenant;
pub mod tenant_member;
pub mod project;
pub mod cluster;
pub mod environment;
pub mod audit_log;
