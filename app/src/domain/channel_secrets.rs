//! Channel secrets: masked for read-back, kept across an update that leaves them out, and never
//! carried to a new destination.

use url::Url;

use super::channels::MASK;
use crate::error::{ApiError, Code};
use crate::model::{ChannelConfig, SecretField};

/// The read-back of a secret: whether it is set, and a hint that gives nothing away (a URL
/// keeps its scheme and host).
pub fn mask(field: &SecretField) -> SecretField {
    let v = field.get();
    let hint = if v.is_empty() {
        String::new()
    } else {
        match Url::parse(v) {
            Ok(u) if u.host_str().is_some() => {
                format!(
                    "{}://{}/{MASK}",
                    u.scheme(),
                    u.host_str().unwrap_or_default()
                )
            }
            _ => MASK.to_string(),
        }
    };
    SecretField {
        value: None,
        set: !v.is_empty(),
        hint,
    }
}

/// Masks every secret of a configuration.
pub fn masked(mut config: ChannelConfig) -> ChannelConfig {
    for (_, f) in config.secrets_mut() {
        *f = mask(f);
    }
    config
}

/// Whether an update sends the channel somewhere else: another SMTP server (host, port or TLS),
/// or a secret URL given anew with another host. A kept secret must not follow it there.
fn destination_changed(update: &mut ChannelConfig, stored: &mut ChannelConfig) -> bool {
    if let (
        ChannelConfig::Email {
            smtp_host: h1,
            smtp_port: p1,
            tls: t1,
            ..
        },
        ChannelConfig::Email {
            smtp_host: h2,
            smtp_port: p2,
            tls: t2,
            ..
        },
    ) = (&*update, &*stored)
    {
        return !h1.trim().eq_ignore_ascii_case(h2.trim()) || p1 != p2 || t1 != t2;
    }
    let host = |v: &str| {
        Url::parse(v)
            .ok()
            .and_then(|u| u.host_str().map(str::to_lowercase))
    };
    let old: Vec<(&str, Option<String>)> = stored
        .secrets_mut()
        .into_iter()
        .map(|(k, f)| (k, host(f.get())))
        .collect();
    update.secrets_mut().into_iter().any(|(k, f)| {
        let Some(new) = f.value.as_deref().filter(|v| !v.is_empty()) else {
            return false;
        };
        old.iter()
            .any(|(n, h)| *n == k && h.is_some() && *h != host(new))
    })
}

/// Fills the secrets an update left out (`value: None`) from the stored configuration, when it
/// is of the same kind. `Some("")` clears. When the update changes where the channel sends to,
/// a left-out secret is refused (422 naming it): it has to be given again for the new place.
pub fn keep_secrets(
    mut update: ChannelConfig,
    stored: &ChannelConfig,
) -> Result<ChannelConfig, ApiError> {
    let mut stored = stored.clone();
    if update.kind() == stored.kind() {
        let moved = destination_changed(&mut update, &mut stored);
        let old: Vec<(&str, String)> = stored
            .secrets_mut()
            .into_iter()
            .map(|(k, f)| (k, f.get().to_string()))
            .collect();
        for (k, f) in update.secrets_mut() {
            if f.value.is_none()
                && let Some((_, v)) = old.iter().find(|(n, _)| *n == k)
            {
                if moved && !v.is_empty() {
                    return Err(ApiError::invalid(
                        &format!("config.{k}"),
                        Code::SecretDestinationChanged,
                    ));
                }
                f.value = Some(v.clone());
            }
        }
    }
    Ok(inputs_only(update))
}

/// Drops the read-back parts (`set`, `hint`) a client may have sent along with its input.
pub fn inputs_only(mut config: ChannelConfig) -> ChannelConfig {
    for (_, f) in config.secrets_mut() {
        f.set = false;
        f.hint.clear();
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SmtpTls;

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
    fn secrets_are_masked_and_kept() {
        let stored = ChannelConfig::Feishu {
            url: s("https://open.feishu.cn/open-apis/bot/v2/hook/tok"),
            at: vec![],
            sign_secret: s("shh"),
        };
        let m = masked(stored.clone());
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("tok") && !json.contains("shh"), "{json}");
        let ChannelConfig::Feishu {
            url, sign_secret, ..
        } = &m
        else {
            unreachable!()
        };
        assert_eq!(url.hint, "https://open.feishu.cn/••••");
        assert!(url.set && sign_secret.set);
        assert_eq!(sign_secret.hint, MASK);

        // An update that sends the masked form back keeps both; "" clears the sign secret.
        let mut update = m.clone();
        if let ChannelConfig::Feishu {
            sign_secret, at, ..
        } = &mut update
        {
            *sign_secret = s("");
            at.push("ou_1".into());
        }
        let kept = keep_secrets(update, &stored).unwrap();
        let ChannelConfig::Feishu {
            url,
            sign_secret,
            at,
        } = &kept
        else {
            unreachable!()
        };
        assert_eq!(
            url.get(),
            "https://open.feishu.cn/open-apis/bot/v2/hook/tok"
        );
        assert_eq!(sign_secret.get(), "");
        assert_eq!(at, &["ou_1"]);
        // Another kind keeps nothing.
        let other = keep_secrets(ChannelConfig::empty("wecom").unwrap(), &stored).unwrap();
        let ChannelConfig::Wecom { url, .. } = other else {
            unreachable!()
        };
        assert_eq!(url.get(), "");
    }

    #[test]
    fn a_kept_smtp_password_does_not_follow_a_changed_host() {
        let stored = email(&["a@example.com"], "u", "pw", SmtpTls::Starttls);
        let masked_update = |f: &dyn Fn(&mut ChannelConfig)| {
            let mut u = masked(stored.clone());
            f(&mut u);
            keep_secrets(u, &stored)
        };
        // The same server keeps the password.
        let kept = masked_update(&|_| {}).unwrap();
        let ChannelConfig::Email { password, .. } = &kept else {
            unreachable!()
        };
        assert_eq!(password.get(), "pw");
        let changes: [&dyn Fn(&mut ChannelConfig); 3] = [
            &|c| {
                if let ChannelConfig::Email { smtp_host, .. } = c {
                    *smtp_host = "evil.example.net".into();
                }
            },
            &|c| {
                if let ChannelConfig::Email { smtp_port, .. } = c {
                    *smtp_port = 2525;
                }
            },
            &|c| {
                if let ChannelConfig::Email { tls, .. } = c {
                    *tls = SmtpTls::None;
                }
            },
        ];
        for change in changes {
            let e = masked_update(change).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("config.password"));
        }
        // With the password given again, the new host is fine.
        let ok = masked_update(&|c| {
            if let ChannelConfig::Email {
                smtp_host,
                password,
                ..
            } = c
            {
                *smtp_host = "smtp2.example.com".into();
                *password = s("pw2");
            }
        })
        .unwrap();
        let ChannelConfig::Email { password, .. } = &ok else {
            unreachable!()
        };
        assert_eq!(password.get(), "pw2");
    }

    #[test]
    fn a_kept_sign_secret_does_not_follow_a_robot_url_to_another_host() {
        let stored = ChannelConfig::Dingtalk {
            url: s("https://oapi.dingtalk.com/robot/send?access_token=a"),
            at_mobiles: vec![],
            sign_secret: s("SEC1"),
        };
        let with_url = |u: &str| {
            let mut c = masked(stored.clone());
            if let ChannelConfig::Dingtalk { url, .. } = &mut c {
                *url = s(u);
            }
            keep_secrets(c, &stored)
        };
        let e = with_url("https://attacker.example/robot/send?access_token=a").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("config.sign_secret"));
        assert!(with_url("https://oapi.dingtalk.com/robot/send?access_token=b").is_ok());
    }
}
