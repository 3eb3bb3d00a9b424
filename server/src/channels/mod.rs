//! Notifications: channels and their delivery. Gemscope is its own alert proxy: every channel's
//! receiver in a cluster is a webhook to Gemscope's notify endpoint, which renders the message
//! and delivers it with the channel's method through a client that refuses internal addresses.

pub mod deliver;
pub mod history;
pub mod message;
pub mod payload;
pub mod public_client;
pub mod service;
pub mod sign;
pub mod smtp;
pub mod vendors;
