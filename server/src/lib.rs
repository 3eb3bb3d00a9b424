//! The Gemscope server: implements every port of the `app` crate and serves the web UI and API.
#![recursion_limit = "512"]

// One module per area of the API, named as in app/src/api: the service that implements the
// area's port, and its queries.
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
pub mod templates;
pub mod tenancy;
pub mod users;

// What the areas share.
/// Sessions, tokens, roles and the guards in front of every request.
pub mod auth;
pub mod config;
pub mod db;
pub mod local_stack;
/// The protocol clients: Prometheus, Alertmanager, Loki, and the endpoint they are reached by.
pub mod observe;
pub mod state;
/// Gemscope's own `/metrics`.
pub mod telemetry;
pub mod web;
