mod form;
mod layout;
pub mod switchers;

pub use form::*;
pub use layout::{AppLayout, PreferenceSwitch};
