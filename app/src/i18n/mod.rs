//! UI text in English and Chinese. A catalogue is a struct of fields, so a string missing in one
//! language is a compile error rather than a blank label at run time.

mod en;
mod errors;
mod zh;

pub use errors::localize_error;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// BCP 47 code, as used in `<html lang>` and the preference cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Lang::En),
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Picks from an Accept-Language header: the first language we have wins.
    pub fn from_accept_language(header: &str) -> Self {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::ZhCn;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The name of the language in that language, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "中文",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &en::TEXTS,
            Lang::ZhCn => &zh::TEXTS,
        }
    }
}

pub struct Texts {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub log_in: &'static str,
    pub log_out: &'static str,
    pub logging_in: &'static str,
    pub login_title: &'static str,
    pub login_failed: &'static str,
    pub nav_overview: &'static str,
    pub nav_tenants: &'static str,
    pub nav_clusters: &'static str,
    pub nav_users: &'static str,
    pub nav_audit: &'static str,
    pub nav_account: &'static str,
    pub nav_admin: &'static str,
    pub tenant: &'static str,
    pub project: &'static str,
    pub environment: &'static str,
    pub choose_tenant: &'static str,
    pub choose_project: &'static str,
    pub choose_environment: &'static str,
    pub language: &'static str,
    pub theme: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub created_at: &'static str,
    pub actions: &'static str,
    pub create: &'static str,
    pub save: &'static str,
    pub edit: &'static str,
    pub delete: &'static str,
    pub remove: &'static str,
    pub cancel: &'static str,
    pub loading: &'static str,
    pub nothing_yet: &'static str,
    pub saved: &'static str,
    pub role: &'static str,
    pub role_admin: &'static str,
    pub role_member: &'static str,
    pub role_viewer: &'static str,
    pub system_admin: &'static str,
    pub overview_title: &'static str,
    pub overview_intro: &'static str,
    pub my_tenants: &'static str,
    pub no_tenants: &'static str,
    pub tenants_title: &'static str,
    pub new_tenant: &'static str,
    pub projects: &'static str,
    pub new_project: &'static str,
    pub environments: &'static str,
    pub new_environment: &'static str,
    pub members: &'static str,
    pub add_member: &'static str,
    pub cluster: &'static str,
    pub namespace: &'static str,
    pub clusters_title: &'static str,
    pub new_cluster: &'static str,
    pub kind: &'static str,
    pub kind_kubernetes: &'static str,
    pub kind_standalone: &'static str,
    pub kubeconfig: &'static str,
    pub kubeconfig_hint: &'static str,
    pub kubeconfig_upload: &'static str,
    pub stored_secret: &'static str,
    pub no_secret: &'static str,
    pub bearer_token: &'static str,
    pub api_server: &'static str,
    pub prometheus_url: &'static str,
    pub alertmanager_url: &'static str,
    pub loki_url: &'static str,
    pub rules_dir: &'static str,
    pub loki_rules_dir: &'static str,
    pub jaeger_url: &'static str,
    pub gemscope_url: &'static str,
    pub alert_group_wait: &'static str,
    pub alert_group_interval: &'static str,
    pub prometheus_service: &'static str,
    pub alertmanager_service: &'static str,
    pub loki_service: &'static str,
    pub jaeger_service: &'static str,
    pub monitoring_namespace: &'static str,
    pub logging_namespace: &'static str,
    pub services_hint: &'static str,
    pub in_cluster: &'static str,
    pub crds_found: &'static str,
    pub crd_absent: &'static str,
    pub optional_component: &'static str,
    pub upload_kubeconfig: &'static str,
    pub alertmanager_config_path: &'static str,
    pub users_title: &'static str,
    pub new_user: &'static str,
    pub display_name: &'static str,
    pub email: &'static str,
    pub active: &'static str,
    pub disabled: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub audit_title: &'static str,
    pub audit_when: &'static str,
    pub audit_who: &'static str,
    pub audit_action: &'static str,
    pub audit_target: &'static str,
    pub audit_result: &'static str,
    pub audit_ip: &'static str,
    pub result_ok: &'static str,
    pub result_failed: &'static str,
    pub filter: &'static str,
    pub any: &'static str,
    pub older: &'static str,
    pub account_title: &'static str,
    pub preferences: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub api_tokens: &'static str,
    pub api_tokens_intro: &'static str,
    pub token_name: &'static str,
    pub expires_in_days: &'static str,
    pub never: &'static str,
    pub expires: &'static str,
    pub last_used: &'static str,
    pub revoke: &'static str,
    pub reset_password: &'static str,
    pub status: &'static str,
    pub reachable: &'static str,
    pub unreachable: &'static str,
    pub never_checked: &'static str,
    pub test_connection: &'static str,
    pub prepare: &'static str,
    pub prepare_done: &'static str,
    pub object_current: &'static str,
    pub object_outdated: &'static str,
    pub object_missing: &'static str,
    pub token_created: &'static str,
    pub not_found_title: &'static str,
    pub forbidden_title: &'static str,
    pub back_home: &'static str,
    pub nav_templates: &'static str,
    pub templates_title: &'static str,
    pub template_owner: &'static str,
    pub presets_only: &'static str,
    pub search: &'static str,
    pub nothing_found: &'static str,
    pub tenant_rule: &'static str,
    pub preset: &'static str,
    pub edit_rule: &'static str,
    pub new_rule: &'static str,
    pub rule_for_tenant: &'static str,
    pub rule_is_preset: &'static str,
    pub template_resource: &'static str,
    pub template_name: &'static str,
    pub show_name: &'static str,
    pub expression: &'static str,
    pub promql_ok: &'static str,
    pub unit: &'static str,
    pub template_labels: &'static str,
    pub import_export: &'static str,
    pub import_files: &'static str,
    pub files_chosen: &'static str,
    pub preview: &'static str,
    pub apply_import: &'static str,
    pub export: &'static str,
    pub import_done: &'static str,
    pub import_would: &'static str,
    pub added: &'static str,
    pub updated: &'static str,
    pub unchanged: &'static str,
    pub details: &'static str,
    pub warnings: &'static str,
    pub dashboard_templates: &'static str,
    pub graphs: &'static str,
    pub new_dashboard_template: &'static str,
    pub graph_name: &'static str,
    pub targets_hint: &'static str,
    pub add_graph: &'static str,
    pub system_alerts: &'static str,
    pub alert_levels: &'static str,
    pub confirm_delete: &'static str,
    pub nav_metrics: &'static str,
    pub metrics_title: &'static str,
    pub query_target: &'static str,
    pub choose_target: &'static str,
    pub use_template: &'static str,
    pub use_promql: &'static str,
    pub scope: &'static str,
    pub resource: &'static str,
    pub rule: &'static str,
    pub label_filters: &'static str,
    pub add_filter: &'static str,
    pub label: &'static str,
    pub value: &'static str,
    pub time_range: &'static str,
    pub custom_range: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub run_query: &'static str,
    pub view_chart: &'static str,
    pub view_table: &'static str,
    pub no_series: &'static str,
    pub query_ran: &'static str,
    pub step: &'static str,
    pub last_n: &'static str,
    pub nav_dashboards: &'static str,
    pub dashboards_title: &'static str,
    pub new_dashboard: &'static str,
    pub from_template: &'static str,
    pub blank_dashboard: &'static str,
    pub refresh: &'static str,
    pub refresh_now: &'static str,
    pub all_values: &'static str,
    pub choose_environment_first: &'static str,
    pub variables: &'static str,
    pub nav_collectors: &'static str,
    pub collectors_title: &'static str,
    pub collectors_hint: &'static str,
    pub choose_environment_collectors: &'static str,
    pub service: &'static str,
    pub ports: &'static str,
    pub port: &'static str,
    pub path: &'static str,
    pub interval: &'static str,
    pub scrape_status: &'static str,
    pub collect: &'static str,
    pub stop_collecting: &'static str,
    pub not_collected: &'static str,
    pub no_services: &'static str,
    pub last_scrape: &'static str,
    pub health_up: &'static str,
    pub health_down: &'static str,
    pub health_unknown: &'static str,
    pub status_unavailable: &'static str,
    pub nav_channels: &'static str,
    pub channels_title: &'static str,
    pub channels_hint: &'static str,
    pub channel_owner: &'static str,
    pub system_channels: &'static str,
    pub choose_tenant_channels: &'static str,
    pub channel_type: &'static str,
    pub sending: &'static str,
    pub delivered: &'static str,
    pub not_delivered: &'static str,
    pub test: &'static str,
    pub delivery_log: &'static str,
    pub time: &'static str,
    pub upstream: &'static str,
    pub attempts: &'static str,
    pub group: &'static str,
    pub edit_channel: &'static str,
    pub new_channel: &'static str,
    pub robot_url: &'static str,
    pub sign_secret: &'static str,
    pub mentions_feishu: &'static str,
    pub mentions_dingtalk: &'static str,
    pub mentions_wecom: &'static str,
    pub insecure_tls: &'static str,
    pub smtp_host: &'static str,
    pub no_tls: &'static str,
    pub mail_from: &'static str,
    pub mail_to: &'static str,
    pub access_key_id: &'static str,
    pub access_key_secret: &'static str,
    pub phone_numbers: &'static str,
    pub sign_name: &'static str,
    pub template_code: &'static str,
    pub called_number: &'static str,
    pub tts_code: &'static str,
    pub send_resolved: &'static str,
    pub secret_set: &'static str,
    pub nav_alert_rules: &'static str,
    pub nav_blacklist: &'static str,
    pub rules_title: &'static str,
    pub rules_hint: &'static str,
    pub choose_environment_rules: &'static str,
    pub resync_all: &'static str,
    pub import_rules: &'static str,
    pub import_hint: &'static str,
    pub state: &'static str,
    pub state_inactive: &'static str,
    pub state_pending: &'static str,
    pub state_firing: &'static str,
    pub state_unknown: &'static str,
    pub state_unavailable: &'static str,
    pub severity: &'static str,
    pub rule_type: &'static str,
    pub type_monitor: &'static str,
    pub type_logging: &'static str,
    pub all: &'static str,
    pub rule_expression: &'static str,
    pub enabled: &'static str,
    pub enable: &'static str,
    pub disable: &'static str,
    pub sync_status: &'static str,
    pub sync_ok: &'static str,
    pub sync_error: &'static str,
    pub copy_to: &'static str,
    pub no_rules: &'static str,
    pub rule_name: &'static str,
    pub mode: &'static str,
    pub mode_template: &'static str,
    pub mode_raw: &'static str,
    pub template: &'static str,
    pub choose_template: &'static str,
    pub label_matchers: &'static str,
    pub add_matcher: &'static str,
    pub log_window: &'static str,
    pub log_match: &'static str,
    pub for_duration: &'static str,
    pub add_level: &'static str,
    pub threshold: &'static str,
    pub inhibit_labels: &'static str,
    pub receivers: &'static str,
    pub add_receiver: &'static str,
    pub repeat_interval: &'static str,
    pub channel: &'static str,
    pub message: &'static str,
    pub message_auto: &'static str,
    pub preview_invalid: &'static str,
    pub fires_now: &'static str,
    pub backtest: &'static str,
    pub no_series_fire: &'static str,
    pub never_fired: &'static str,
    pub live_alerts: &'static str,
    pub no_live_alerts: &'static str,
    pub blacklist_add: &'static str,
    pub blacklist_title: &'static str,
    pub blacklist_hint: &'static str,
    pub no_blacklist: &'static str,
    pub objects: &'static str,
    pub close: &'static str,
    pub delete_rule_q: &'static str,
    pub labels: &'static str,
    pub since: &'static str,
    pub history_link: &'static str,
    pub written: &'static str,
    pub current: &'static str,
    pub import_created: &'static str,
    pub system_rules: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_first_known() {
        let cases = [
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::ZhCn),
            ("en-US,en;q=0.9", Lang::En),
            ("fr-FR, zh-TW;q=0.5", Lang::ZhCn),
            ("", Lang::En),
            ("de", Lang::En),
        ];
        for (header, want) in cases {
            assert_eq!(Lang::from_accept_language(header), want, "{header}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }

    #[test]
    fn chinese_catalogue_is_translated() {
        // A label copied over from English untranslated is the usual slip.
        let (en, zh) = (Lang::En.texts(), Lang::ZhCn.texts());
        for (e, z) in [
            (en.log_in, zh.log_in),
            (en.nav_tenants, zh.nav_tenants),
            (en.nav_clusters, zh.nav_clusters),
            (en.tenant, zh.tenant),
            (en.project, zh.project),
            (en.environment, zh.environment),
            (en.create, zh.create),
        ] {
            assert_ne!(e, z);
        }
    }
}
