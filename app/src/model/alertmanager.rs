use serde::{Deserialize, Serialize};

/// The spec of an AlertmanagerConfig (monitoring.coreos.com/v1alpha1), the parts Gemscope writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AmConfigSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<AmRoute>,
    #[serde(default)]
    pub receivers: Vec<AmReceiver>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibit_rules: Vec<AmInhibitRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AmRoute {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub receiver: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<AmMatcher>,
    #[serde(
        default,
        rename = "continue",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub continue_: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<AmRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmMatcher {
    pub name: String,
    #[serde(default)]
    pub value: String,
    /// `=`, `!=`, `=~` or `!~`; `=` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_type: Option<String>,
}

impl AmMatcher {
    pub fn eq(name: &str, value: &str) -> Self {
        AmMatcher {
            name: name.into(),
            value: value.into(),
            match_type: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AmReceiver {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_configs: Vec<AmWebhookConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmWebhookConfig {
    /// Empty when the URL is in a Secret (`url_secret`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Where prometheus-operator reads the URL: a key of a Secret in the AlertmanagerConfig's
    /// namespace, so the tokens in the URL are not readable by whoever may read the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret: Option<AmSecretKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_resolved: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmSecretKey {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AmInhibitRule {
    #[serde(default)]
    pub source_match: Vec<AmMatcher>,
    #[serde(default)]
    pub target_match: Vec<AmMatcher>,
    #[serde(default)]
    pub equal: Vec<String>,
}

/// An AlertmanagerConfig as it would live in a namespace of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespacedAmConfig {
    pub namespace: String,
    pub name: String,
    pub spec: AmConfigSpec,
}
