//! Server functions over HTTP, on SQLite, MariaDB and PostgreSQL: one test binary, a file per area.

#[path = "../common/mod.rs"]
mod common;

mod account;
mod audit;
mod clusters;
mod isolation;
mod tenancy;
mod web;
