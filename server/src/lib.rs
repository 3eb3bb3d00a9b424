//! The Gemscope server: implements every port of the `app` crate and serves the web UI and API.
#![recursion_limit = "512"]

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod dashboards;
pub mod db;
pub mod jobs;
pub mod local_stack;
pub mod metrics;
pub mod notify;
pub mod observe;
pub mod rules;
pub mod state;
pub mod templates;
pub mod tenancy;
pub mod users;
pub mod web;
