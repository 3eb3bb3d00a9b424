//! The channel checks: good channels pass, and every bad one is refused naming its field.

use super::*;
use crate::model::SecretField;

fn input(config: ChannelConfig) -> ChannelInput {
    ChannelInput {
        name: "ops".into(),
        description: String::new(),
        send_resolved: true,
        config,
    }
}

fn s(v: &str) -> SecretField {
    SecretField::new(v)
}

fn email(to: &[&str], username: &str, password: &str, tls: SmtpTls) -> ChannelConfig {
    ChannelConfig::Email {
        smtp_host: "smtp.example.com".into(),
        smtp_port: 587,
        tls,
        from: "alerts@example.com".into(),
        to: to.iter().map(|t| t.to_string()).collect(),
        username: username.into(),
        password: s(password),
    }
}

#[test]
fn good_channels_pass() {
    let good = [
        ChannelConfig::Webhook {
            url: s("https://hooks.example.com/x?token=1"),
            insecure_tls: false,
        },
        email(
            &["ops@example.com", "dev@example.com"],
            "alerts",
            "pw",
            SmtpTls::Starttls,
        ),
        email(&["ops@example.com"], "", "", SmtpTls::None),
        ChannelConfig::Feishu {
            url: s("https://open.feishu.cn/open-apis/bot/v2/hook/abc-123"),
            at: vec!["all".into()],
            sign_secret: s(""),
        },
        ChannelConfig::Dingtalk {
            url: s("https://oapi.dingtalk.com/robot/send?access_token=abc"),
            at_mobiles: vec!["+8613800000000".into()],
            sign_secret: s("SEC123"),
        },
        ChannelConfig::Wecom {
            url: s("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1"),
            mentioned: vec!["@all".into()],
        },
        ChannelConfig::AliyunSms {
            access_key_id: "LTAI5t".into(),
            access_key_secret: s("secret"),
            phone_numbers: vec!["13800000000".into()],
            sign_name: "Gemscope".into(),
            template_code: "SMS_123456".into(),
        },
        ChannelConfig::AliyunVoice {
            access_key_id: "LTAI5t".into(),
            access_key_secret: s("secret"),
            called_number: "13800000000".into(),
            tts_code: "TTS_10001".into(),
        },
    ];
    for c in good {
        validate(&input(c.clone())).unwrap_or_else(|e| panic!("{c:?}: {e:?}"));
    }
}

#[test]
fn bad_channels_name_the_field() {
    let ding = |url: &str, mobiles: &[&str]| ChannelConfig::Dingtalk {
        url: s(url),
        at_mobiles: mobiles.iter().map(|m| m.to_string()).collect(),
        sign_secret: s(""),
    };
    let cases: Vec<(ChannelConfig, &str, &str)> = vec![
        (
            ChannelConfig::Webhook {
                url: s(""),
                insecure_tls: false,
            },
            "config.url",
            "required",
        ),
        (
            ChannelConfig::Webhook {
                url: s("ftp://x.example.com/"),
                insecure_tls: false,
            },
            "config.url",
            "http://",
        ),
        (
            ChannelConfig::Webhook {
                url: s("not a url"),
                insecure_tls: false,
            },
            "config.url",
            "not a URL",
        ),
        (
            ChannelConfig::Webhook {
                url: s("https://u:p@x.example.com/"),
                insecure_tls: false,
            },
            "config.url",
            "password",
        ),
        // KubeGems' email check accepted anything.
        (
            email(&[], "", "", SmtpTls::Starttls),
            "config.to",
            "at least one",
        ),
        (
            email(&["ops@example.com", "nope"], "", "", SmtpTls::Starttls),
            "config.to[1]",
            "e-mail",
        ),
        (
            email(&["ops@example.com"], "alerts", "", SmtpTls::Starttls),
            "config.password",
            "required",
        ),
        (
            email(&["ops@example.com"], "alerts", "pw", SmtpTls::None),
            "config.tls",
            "STARTTLS",
        ),
        (
            ChannelConfig::Email {
                smtp_host: "smtp://mail:25".into(),
                smtp_port: 25,
                tls: SmtpTls::Starttls,
                from: "a@example.com".into(),
                to: vec!["b@example.com".into()],
                username: String::new(),
                password: s(""),
            },
            "config.smtp_host",
            "without scheme",
        ),
        (
            ChannelConfig::Email {
                smtp_host: "mail".into(),
                smtp_port: 0,
                tls: SmtpTls::Starttls,
                from: "a@example.com".into(),
                to: vec!["b@example.com".into()],
                username: String::new(),
                password: s(""),
            },
            "config.smtp_port",
            "port",
        ),
        (
            ChannelConfig::Email {
                smtp_host: "mail".into(),
                smtp_port: 25,
                tls: SmtpTls::Starttls,
                from: "".into(),
                to: vec!["b@example.com".into()],
                username: String::new(),
                password: s(""),
            },
            "config.from",
            "required",
        ),
        (ding("", &[]), "config.url", "required"),
        (
            ding("https://oapi.dingtalk.com/robot/send", &[]),
            "config.url",
            "DingTalk robot URL",
        ),
        (
            ding(
                "https://oapi.dingtalk.com/robot/send?access_token=a",
                &["138-0000"],
            ),
            "config.at_mobiles[0]",
            "phone",
        ),
        (
            ChannelConfig::Feishu {
                url: s("https://open.feishu.cn/other"),
                at: vec![],
                sign_secret: s(""),
            },
            "config.url",
            "Feishu",
        ),
        (
            ChannelConfig::Wecom {
                url: s("https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),
                mentioned: vec![],
            },
            "config.url",
            "key=",
        ),
        (
            ChannelConfig::AliyunSms {
                access_key_id: "id".into(),
                access_key_secret: s(""),
                phone_numbers: vec!["13800000000".into()],
                sign_name: "x".into(),
                template_code: "SMS_1".into(),
            },
            "config.access_key_secret",
            "required",
        ),
        (
            ChannelConfig::AliyunSms {
                access_key_id: "id".into(),
                access_key_secret: s("k"),
                phone_numbers: vec![],
                sign_name: "x".into(),
                template_code: "SMS_1".into(),
            },
            "config.phone_numbers",
            "at least one",
        ),
        (
            ChannelConfig::AliyunSms {
                access_key_id: "id".into(),
                access_key_secret: s("k"),
                phone_numbers: vec!["13800000000".into()],
                sign_name: "x".into(),
                template_code: "123".into(),
            },
            "config.template_code",
            "SMS_",
        ),
        (
            ChannelConfig::AliyunVoice {
                access_key_id: "id".into(),
                access_key_secret: s("k"),
                called_number: "abc".into(),
                tts_code: "TTS_1".into(),
            },
            "config.called_number",
            "phone",
        ),
    ];
    for (config, field, text) in cases {
        let e = validate(&input(config.clone())).expect_err(&format!("{config:?}"));
        assert_eq!(e.field.as_deref(), Some(field), "{config:?}: {}", e.message);
        assert!(e.message.contains(text), "{config:?}: {}", e.message);
    }
    let mut bad_name = input(ChannelConfig::empty("webhook").unwrap());
    bad_name.name = " ".into();
    assert_eq!(
        validate(&bad_name).unwrap_err().field.as_deref(),
        Some("name")
    );
}
