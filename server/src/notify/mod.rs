//! Notifications: the outbound HTTP client that refuses internal addresses, and the vendors'
//! request signatures. Channels and delivery build on these.

pub mod outbound;
pub mod sign;
