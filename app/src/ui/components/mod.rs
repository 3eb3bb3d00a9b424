pub mod chart;
mod env_picker;
mod form;
pub mod graphs_editor;
mod layout;
pub mod rule_editor;
pub mod switchers;
mod time_range;

pub use env_picker::EnvironmentPicker;
pub use form::*;
pub use layout::{AppLayout, PreferenceSwitch};
pub use time_range::TimeRangePicker;
