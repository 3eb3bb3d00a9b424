//! The channel form's state: every field any channel type has, as text, loaded from a stored
//! channel and built into the input of the type chosen.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::{Channel, ChannelConfig, ChannelInput, SecretField, SmtpTls};

fn split(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// A secret input: empty keeps what is stored.
fn secret_of(s: &str) -> SecretField {
    if s.is_empty() {
        SecretField::default()
    } else {
        SecretField::new(s)
    }
}

/// Every field any channel type has, as text; `input()` builds the type chosen.
#[derive(Clone, Copy)]
pub(super) struct Form {
    pub(super) editing: RwSignal<Option<i64>>,
    pub(super) kind: RwSignal<String>,
    pub(super) name: RwSignal<String>,
    pub(super) description: RwSignal<String>,
    pub(super) send_resolved: RwSignal<bool>,
    pub(super) url: RwSignal<String>,
    pub(super) insecure_tls: RwSignal<bool>,
    pub(super) sign_secret: RwSignal<String>,
    pub(super) mentions: RwSignal<String>,
    pub(super) smtp_host: RwSignal<String>,
    pub(super) smtp_port: RwSignal<String>,
    pub(super) tls: RwSignal<String>,
    pub(super) from: RwSignal<String>,
    pub(super) to: RwSignal<String>,
    pub(super) username: RwSignal<String>,
    pub(super) password: RwSignal<String>,
    pub(super) key_id: RwSignal<String>,
    pub(super) key_secret: RwSignal<String>,
    pub(super) numbers: RwSignal<String>,
    pub(super) sign_name: RwSignal<String>,
    pub(super) code: RwSignal<String>,
    /// Read-back hints of the stored secrets, by field.
    pub(super) hints: RwSignal<Vec<(&'static str, String)>>,
}

impl Form {
    pub(super) fn new() -> Form {
        let s = || RwSignal::new(String::new());
        Form {
            editing: RwSignal::new(None),
            kind: RwSignal::new("dingtalk".into()),
            name: s(),
            description: s(),
            send_resolved: RwSignal::new(true),
            url: s(),
            insecure_tls: RwSignal::new(false),
            sign_secret: s(),
            mentions: s(),
            smtp_host: s(),
            smtp_port: RwSignal::new("587".into()),
            tls: RwSignal::new("starttls".into()),
            from: s(),
            to: s(),
            username: s(),
            password: s(),
            key_id: s(),
            key_secret: s(),
            numbers: s(),
            sign_name: s(),
            code: s(),
            hints: RwSignal::new(Vec::new()),
        }
    }

    pub(super) fn reset(&self) {
        for f in [
            self.name,
            self.description,
            self.url,
            self.sign_secret,
            self.mentions,
            self.smtp_host,
            self.from,
            self.to,
            self.username,
            self.password,
            self.key_id,
            self.key_secret,
            self.numbers,
            self.sign_name,
            self.code,
        ] {
            f.set(String::new());
        }
        self.smtp_port.set("587".into());
        self.tls.set("starttls".into());
        self.send_resolved.set(true);
        self.insecure_tls.set(false);
        self.hints.set(Vec::new());
        self.editing.set(None);
    }

    pub(super) fn load(&self, c: &Channel) {
        self.reset();
        self.editing.set(Some(c.id));
        self.kind.set(c.config.kind().to_string());
        self.name.set(c.name.clone());
        self.description.set(c.description.clone());
        self.send_resolved.set(c.send_resolved);
        let mut config = c.config.clone();
        self.hints.set(
            config
                .secrets_mut()
                .into_iter()
                .filter(|(_, f)| f.set)
                .map(|(k, f)| (k, f.hint.clone()))
                .collect(),
        );
        match config {
            ChannelConfig::Webhook { insecure_tls, .. } => self.insecure_tls.set(insecure_tls),
            ChannelConfig::Email {
                smtp_host,
                smtp_port,
                tls,
                from,
                to,
                username,
                ..
            } => {
                self.smtp_host.set(smtp_host);
                self.smtp_port.set(smtp_port.to_string());
                self.tls.set(
                    match tls {
                        SmtpTls::Tls => "tls",
                        SmtpTls::None => "none",
                        SmtpTls::Starttls => "starttls",
                    }
                    .into(),
                );
                self.from.set(from);
                self.to.set(to.join(", "));
                self.username.set(username);
            }
            ChannelConfig::Feishu { at: m, .. }
            | ChannelConfig::Dingtalk { at_mobiles: m, .. }
            | ChannelConfig::Wecom { mentioned: m, .. } => self.mentions.set(m.join(", ")),
            ChannelConfig::AliyunSms {
                access_key_id,
                phone_numbers,
                sign_name,
                template_code,
                ..
            } => {
                self.key_id.set(access_key_id);
                self.numbers.set(phone_numbers.join(", "));
                self.sign_name.set(sign_name);
                self.code.set(template_code);
            }
            ChannelConfig::AliyunVoice {
                access_key_id,
                called_number,
                tts_code,
                ..
            } => {
                self.key_id.set(access_key_id);
                self.numbers.set(called_number);
                self.code.set(tts_code);
            }
        }
    }

    /// The input for the type chosen; a type this form does not know is an error, never a
    /// guess at one.
    pub(super) fn input(&self) -> Result<ChannelInput, ApiError> {
        let g = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        let config = match self.kind.get_untracked().as_str() {
            "webhook" => ChannelConfig::Webhook {
                url: secret_of(&g(self.url)),
                insecure_tls: self.insecure_tls.get_untracked(),
            },
            "email" => ChannelConfig::Email {
                smtp_host: g(self.smtp_host),
                smtp_port: g(self.smtp_port).parse().unwrap_or(0),
                tls: match g(self.tls).as_str() {
                    "tls" => SmtpTls::Tls,
                    "none" => SmtpTls::None,
                    _ => SmtpTls::Starttls,
                },
                from: g(self.from),
                to: split(&g(self.to)),
                username: g(self.username),
                password: secret_of(&g(self.password)),
            },
            "feishu" => ChannelConfig::Feishu {
                url: secret_of(&g(self.url)),
                at: split(&g(self.mentions)),
                sign_secret: secret_of(&g(self.sign_secret)),
            },
            "wecom" => ChannelConfig::Wecom {
                url: secret_of(&g(self.url)),
                mentioned: split(&g(self.mentions)),
            },
            "aliyun_sms" => ChannelConfig::AliyunSms {
                access_key_id: g(self.key_id),
                access_key_secret: secret_of(&g(self.key_secret)),
                phone_numbers: split(&g(self.numbers)),
                sign_name: g(self.sign_name),
                template_code: g(self.code),
            },
            "aliyun_voice" => ChannelConfig::AliyunVoice {
                access_key_id: g(self.key_id),
                access_key_secret: secret_of(&g(self.key_secret)),
                called_number: g(self.numbers),
                tts_code: g(self.code),
            },
            "dingtalk" => ChannelConfig::Dingtalk {
                url: secret_of(&g(self.url)),
                at_mobiles: split(&g(self.mentions)),
                sign_secret: secret_of(&g(self.sign_secret)),
            },
            other => {
                return Err(ApiError::new(
                    http::StatusCode::UNPROCESSABLE_ENTITY,
                    crate::error::Code::UnknownChannelType,
                )
                .arg(other));
            }
        };
        Ok(ChannelInput {
            name: g(self.name),
            description: g(self.description),
            send_resolved: self.send_resolved.get_untracked(),
            config,
        })
    }

    pub(super) fn hint(&self, field: &str) -> String {
        self.hints
            .get()
            .into_iter()
            .find(|(k, _)| *k == field)
            .map(|(_, h)| h)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_builds_its_own_config_and_an_unknown_one_is_an_error() {
        // Signals need an owner (and, with the server's features, its arena).
        Owner::new()
            .with(every_known_type_builds_its_own_config_and_an_unknown_one_is_an_error_body);
    }

    fn every_known_type_builds_its_own_config_and_an_unknown_one_is_an_error_body() {
        let form = Form::new();
        for kind in ChannelConfig::KINDS {
            form.kind.set(kind.to_string());
            let input = form
                .input()
                .unwrap_or_else(|e| panic!("{kind}: {}", e.message));
            assert_eq!(input.config.kind(), kind);
        }
        form.kind.set("carrier-pigeon".into());
        let e = form.input().expect_err("an unknown type");
        assert_eq!(e.status, 422);
        assert!(e.message.contains("carrier-pigeon"), "{}", e.message);
    }

    #[test]
    fn a_loaded_channel_builds_the_same_config_back() {
        // Signals need an owner (and, with the server's features, its arena).
        Owner::new().with(a_loaded_channel_builds_the_same_config_back_body);
    }

    fn a_loaded_channel_builds_the_same_config_back_body() {
        let stored = Channel {
            config: ChannelConfig::Feishu {
                url: SecretField::default(),
                at: vec!["ops".into(), "dev".into()],
                sign_secret: SecretField::default(),
            },
            id: 7,
            tenant_id: Some(1),
            name: "pager".into(),
            description: String::new(),
            send_resolved: false,
            updated_at: String::new(),
        };
        let form = Form::new();
        form.load(&stored);
        let input = form.input().expect("input");
        assert_eq!(input.name, "pager");
        assert!(!input.send_resolved);
        assert_eq!(input.config, stored.config);
        assert_eq!(form.editing.get_untracked(), Some(7));
    }
}
