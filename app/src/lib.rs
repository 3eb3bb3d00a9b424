//! What the browser and the server share: data types, pure logic, server functions and the UI.
#![recursion_limit = "512"]

pub mod api;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod model;
pub mod ui;

pub use ui::{App, shell};
