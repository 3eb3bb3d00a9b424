//! On Kubernetes, the receiver URLs of a rule (Gemscope's notify and history endpoints, which carry
//! tokens) go into a Secret beside its AlertmanagerConfig, which refers to them by `urlSecret`:
//! whoever may read AlertmanagerConfigs of a namespace then still cannot read the tokens.

use std::collections::BTreeMap;

use crate::model::{AmConfigSpec, AmSecretKey};

/// The Secret of a rule's receiver URLs.
pub fn secret_name(rule: &str) -> String {
    format!("gemscope-receivers-{rule}")
}

/// The spec with every webhook URL replaced by a reference into the rule's Secret, and that
/// Secret's data (key: the receiver's name, `-<n>` for a receiver's n-th webhook after the first).
pub fn with_url_secrets(am: &AmConfigSpec, rule: &str) -> (AmConfigSpec, BTreeMap<String, String>) {
    let name = secret_name(rule);
    let mut spec = am.clone();
    let mut data = BTreeMap::new();
    for r in &mut spec.receivers {
        for (i, w) in r.webhook_configs.iter_mut().enumerate() {
            if w.url.is_empty() {
                continue;
            }
            let key = if i == 0 {
                r.name.clone()
            } else {
                format!("{}-{i}", r.name)
            };
            data.insert(key.clone(), std::mem::take(&mut w.url));
            w.url_secret = Some(AmSecretKey {
                name: name.clone(),
                key,
            });
        }
    }
    (spec, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AmReceiver, AmWebhookConfig};

    #[test]
    fn receiver_urls_move_into_the_secret() {
        let hook = |url: &str| AmWebhookConfig {
            url: url.into(),
            url_secret: None,
            send_resolved: Some(true),
        };
        let am = AmConfigSpec {
            receivers: vec![
                AmReceiver {
                    name: "null".into(),
                    webhook_configs: vec![],
                },
                AmReceiver {
                    name: "gemscope-channel-2".into(),
                    webhook_configs: vec![hook("https://g/api/notify/2/TOKEN")],
                },
                AmReceiver {
                    name: "gemscope-history".into(),
                    webhook_configs: vec![
                        hook("https://g/h?token=T1"),
                        hook("https://g/h?token=T2"),
                    ],
                },
            ],
            ..Default::default()
        };
        let (spec, data) = with_url_secrets(&am, "cpu");
        let text = serde_json::to_string(&spec).unwrap();
        assert!(!text.contains("TOKEN") && !text.contains("T1"), "{text}");
        assert!(
            text.contains(
                r#""urlSecret":{"name":"gemscope-receivers-cpu","key":"gemscope-channel-2"}"#
            ),
            "{text}"
        );
        assert_eq!(
            data,
            BTreeMap::from([
                (
                    "gemscope-channel-2".to_string(),
                    "https://g/api/notify/2/TOKEN".to_string()
                ),
                (
                    "gemscope-history".to_string(),
                    "https://g/h?token=T1".to_string()
                ),
                (
                    "gemscope-history-1".to_string(),
                    "https://g/h?token=T2".to_string()
                ),
            ])
        );
    }
}
