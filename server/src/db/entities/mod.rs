//! sea-orm entities, one per table (see the `migration` crate for the schema).

pub mod alert_instance;
pub mod alert_label;
pub mod alert_notification;
pub mod alert_receiver;
pub mod alert_rule;
pub mod alert_template;
pub mod api_token;
pub mod audit_log;
pub mod channel;
pub mod channel_delivery;
pub mod cluster;
pub mod dashboard;
pub mod dashboard_template;
pub mod environment;
pub mod inbox_item;
pub mod job_run;
pub mod project;
pub mod rule_orphan;
pub mod session;
pub mod template_resource;
pub mod template_rule;
pub mod template_scope;
pub mod tenant;
pub mod tenant_member;
pub mod user;
