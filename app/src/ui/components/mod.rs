//! The design system: every page builds from these pieces, so buttons, badges, forms and empty
//! states look and behave the same everywhere. Tokens (spacing, colours, type) are in
//! `style/main.css`.

pub mod chart;
mod dialog;
mod env_picker;
mod feedback;
mod field;
mod form;
pub mod graphs_editor;
pub mod icons;
mod layout;
mod page_header;
pub mod rule_editor;
mod scope;
pub mod switchers;
mod table;
mod time_range;
mod toast;

pub use dialog::ConfirmButton;
pub use env_picker::EnvironmentPicker;
pub use feedback::{Badge, EmptyState, Skeleton, Tone};
pub use field::{Field, Segmented, Toggle, error_for, field_id};
pub use form::*;
pub use icons::{Icon, IconName};
pub use layout::{AppLayout, PreferenceSwitch};
pub use page_header::{Crumb, PageHeader, tr};
pub use table::{Sort, SortHeader};
pub use time_range::TimeRangePicker;
pub use toast::{Toaster, toast_on_ok, use_toast};
