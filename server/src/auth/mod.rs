//! Who may do what: passwords, sessions, API tokens, roles, the cross-site guard, the first admin.

pub mod admin;
pub mod authz;
pub mod client_addr;
pub mod guard;
pub mod password;
pub mod ratelimit;
pub mod secrets;
pub mod streams;
pub mod token;
