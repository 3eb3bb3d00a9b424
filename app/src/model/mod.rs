//! Plain data shared by the browser and the server. No I/O here.

mod account;
mod alert_rules;
mod alertmanager;
mod alerts;
mod channels;
mod cluster;
mod collectors;
mod jobs;
mod metrics;
mod rules;
mod templates;
mod tenancy;

pub use account::*;
pub use alert_rules::*;
pub use alertmanager::*;
pub use alerts::*;
pub use channels::*;
pub use cluster::*;
pub use collectors::*;
pub use jobs::*;
pub use metrics::*;
pub use rules::*;
pub use templates::*;
pub use tenancy::*;
