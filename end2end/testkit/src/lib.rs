//! Stand-ins for servers that cannot run on a test machine, speaking their real HTTP APIs.
//! Test-only: the product never links this crate.

pub mod fixtures;
pub mod kube;
pub mod loki;
pub mod sinks;
