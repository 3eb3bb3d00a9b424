//! Alert channels: where notifications go. A channel belongs to a tenant, or to the system (every
//! tenant may use it). Secret fields never travel back to the browser: reads carry
//! [`SecretField`]s that say whether a value is set and show a masked hint.

use serde::{Deserialize, Serialize};

/// A secret input or its masked read-back. On update, `value: None` keeps what is stored,
/// `Some("")` clears it, and `Some(v)` replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SecretField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Read-back only: whether a value is stored.
    #[serde(default)]
    pub set: bool,
    /// Read-back only: a masked form, for example `https://open.feishu.cn/••••`.
    #[serde(default)]
    pub hint: String,
}

impl SecretField {
    pub fn new(v: impl Into<String>) -> Self {
        SecretField {
            value: Some(v.into()),
            ..Default::default()
        }
    }
    /// The value to use; empty when none is given.
    pub fn get(&self) -> &str {
        self.value.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP, upgraded with STARTTLS (port 587, usually).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for relays on a trusted network.
    None,
}

/// What each kind of channel needs. Lists are lists, not comma-joined strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChannelConfig {
    Webhook {
        url: SecretField,
        #[serde(default)]
        insecure_tls: bool,
    },
    Email {
        smtp_host: String,
        smtp_port: u16,
        #[serde(default)]
        tls: SmtpTls,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        username: String,
        #[serde(default)]
        password: SecretField,
    },
    Feishu {
        url: SecretField,
        /// Feishu user ids to @, or `all`.
        #[serde(default)]
        at: Vec<String>,
        #[serde(default)]
        sign_secret: SecretField,
    },
    Dingtalk {
        url: SecretField,
        #[serde(default)]
        at_mobiles: Vec<String>,
        #[serde(default)]
        sign_secret: SecretField,
    },
    Wecom {
        url: SecretField,
        /// WeCom user ids to mention, or `@all`.
        #[serde(default)]
        mentioned: Vec<String>,
    },
    AliyunSms {
        access_key_id: String,
        access_key_secret: SecretField,
        phone_numbers: Vec<String>,
        sign_name: String,
        template_code: String,
    },
    AliyunVoice {
        access_key_id: String,
        access_key_secret: SecretField,
        called_number: String,
        tts_code: String,
    },
}

impl ChannelConfig {
    pub const KINDS: [&'static str; 7] = [
        "webhook",
        "email",
        "feishu",
        "dingtalk",
        "wecom",
        "aliyun_sms",
        "aliyun_voice",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            ChannelConfig::Webhook { .. } => "webhook",
            ChannelConfig::Email { .. } => "email",
            ChannelConfig::Feishu { .. } => "feishu",
            ChannelConfig::Dingtalk { .. } => "dingtalk",
            ChannelConfig::Wecom { .. } => "wecom",
            ChannelConfig::AliyunSms { .. } => "aliyun_sms",
            ChannelConfig::AliyunVoice { .. } => "aliyun_voice",
        }
    }

    /// An empty configuration of a kind, for a new channel's form.
    pub fn empty(kind: &str) -> Option<ChannelConfig> {
        let s = SecretField::default;
        Some(match kind {
            "webhook" => ChannelConfig::Webhook {
                url: s(),
                insecure_tls: false,
            },
            "email" => ChannelConfig::Email {
                smtp_host: String::new(),
                smtp_port: 587,
                tls: SmtpTls::Starttls,
                from: String::new(),
                to: Vec::new(),
                username: String::new(),
                password: s(),
            },
            "feishu" => ChannelConfig::Feishu {
                url: s(),
                at: Vec::new(),
                sign_secret: s(),
            },
            "dingtalk" => ChannelConfig::Dingtalk {
                url: s(),
                at_mobiles: Vec::new(),
                sign_secret: s(),
            },
            "wecom" => ChannelConfig::Wecom {
                url: s(),
                mentioned: Vec::new(),
            },
            "aliyun_sms" => ChannelConfig::AliyunSms {
                access_key_id: String::new(),
                access_key_secret: s(),
                phone_numbers: Vec::new(),
                sign_name: String::new(),
                template_code: String::new(),
            },
            "aliyun_voice" => ChannelConfig::AliyunVoice {
                access_key_id: String::new(),
                access_key_secret: s(),
                called_number: String::new(),
                tts_code: String::new(),
            },
            _ => return None,
        })
    }

    /// The secret fields, by name, for storing, masking and keeping on update.
    pub fn secrets_mut(&mut self) -> Vec<(&'static str, &mut SecretField)> {
        match self {
            ChannelConfig::Webhook { url, .. } | ChannelConfig::Wecom { url, .. } => {
                vec![("url", url)]
            }
            ChannelConfig::Email { password, .. } => vec![("password", password)],
            ChannelConfig::Feishu {
                url, sign_secret, ..
            }
            | ChannelConfig::Dingtalk {
                url, sign_secret, ..
            } => vec![("url", url), ("sign_secret", sign_secret)],
            ChannelConfig::AliyunSms {
                access_key_secret, ..
            }
            | ChannelConfig::AliyunVoice {
                access_key_secret, ..
            } => vec![("access_key_secret", access_key_secret)],
        }
    }
}

/// A channel as read: secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: i64,
    /// `None`: a system channel, usable by every tenant.
    pub tenant_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub send_resolved: bool,
    pub config: ChannelConfig,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub send_resolved: bool,
    pub config: ChannelConfig,
}

fn yes() -> bool {
    true
}

/// One delivery attempt of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    pub at: String,
    /// The alert group: Alertmanager's group key, or `test`.
    pub group: String,
    pub alerts: u32,
    pub ok: bool,
    /// The upstream answer: an HTTP status, an SMTP reply, a vendor error code.
    pub upstream: String,
    pub latency_ms: u64,
    pub error: String,
    pub attempts: u32,
    pub test: bool,
}

/// What a channel sends for the sample alert: the rendered texts, and the vendor request (URL
/// and body, secrets replaced by ••••) or, for e-mail, the subject and HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPreview {
    pub title: String,
    pub markdown: String,
    pub subject: String,
    pub html: String,
    pub url: String,
    pub body: String,
}
