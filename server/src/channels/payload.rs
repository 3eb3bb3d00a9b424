//! The Alertmanager webhook payload (version 4), as Alertmanager posts it to a receiver, and the
//! sample group a channel Test sends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use app::domain::alert_rules::{LABEL_ALERTNAME, LABEL_NAMESPACE, LABEL_SEVERITY};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

impl Alert {
    /// Gemscope's rules carry `gems_alertname`; others the plain `alertname`.
    pub fn name(&self) -> &str {
        self.labels
            .get(LABEL_ALERTNAME)
            .or_else(|| self.labels.get("alertname"))
            .map(String::as_str)
            .unwrap_or("alert")
    }

    pub fn namespace(&self) -> &str {
        self.labels
            .get(LABEL_NAMESPACE)
            .or_else(|| self.labels.get("namespace"))
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        ["message", "summary", "description"]
            .iter()
            .find_map(|k| self.annotations.get(*k))
            .map(String::as_str)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub group_key: String,
    #[serde(default)]
    pub truncated_alerts: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

impl Group {
    pub fn firing(&self) -> usize {
        self.alerts.iter().filter(|a| a.status == "firing").count()
    }
}

/// What a channel Test sends: one firing alert, shaped like those Gemscope's rules produce.
pub fn sample(channel: &str, now_rfc3339: &str) -> Group {
    let labels: BTreeMap<String, String> = [
        ("alertname", "GemscopeTestAlert"),
        (LABEL_ALERTNAME, "GemscopeTestAlert"),
        (LABEL_SEVERITY, "error"),
        ("cluster", "gemscope-test"),
        (LABEL_NAMESPACE, "gemscope-test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let annotations = BTreeMap::from([
        (
            "message".to_string(),
            format!(
                "Test notification of channel {channel}: if you read this, real alerts arrive too."
            ),
        ),
        ("value".to_string(), "0".to_string()),
    ]);
    Group {
        version: "4".into(),
        group_key: "test".into(),
        status: "firing".into(),
        receiver: "test".into(),
        group_labels: BTreeMap::from([(
            LABEL_ALERTNAME.to_string(),
            "GemscopeTestAlert".to_string(),
        )]),
        common_labels: labels.clone(),
        common_annotations: annotations.clone(),
        alerts: vec![Alert {
            status: "firing".into(),
            labels,
            annotations,
            starts_at: now_rfc3339.to_string(),
            ends_at: "0001-01-01T00:00:00Z".into(),
            fingerprint: "0000000000000000".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}
