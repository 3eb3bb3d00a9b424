pub mod chart;
mod form;
pub mod graphs_editor;
mod layout;
pub mod switchers;

pub use form::*;
pub use layout::{AppLayout, PreferenceSwitch};
