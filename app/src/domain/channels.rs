//! Checks of alert channels, shared by the browser and the server: every refusal names the field
//! (`config.to[1]`), and the shapes of the vendors' robot URLs are checked by path, not by host,
//! so private deployments and proxies keep working. Also the masking of secrets for read-back.

use std::str::FromStr;

use email_address::EmailAddress;
use url::Url;

use crate::domain::validate::text;
use crate::error::{ApiError, Code};
use crate::model::{ChannelConfig, ChannelInput, SmtpTls};

pub const MASK: &str = "••••";

// Masking a secret for read-back and keeping it across updates.
pub use super::channel_secrets::{inputs_only, keep_secrets, mask, masked};

fn required(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(field, Code::Required));
    }
    Ok(())
}

/// An http(s) URL with a host; returns it parsed.
pub fn http_url(field: &str, value: &str) -> Result<Url, ApiError> {
    required(field, value)?;
    let u = Url::parse(value.trim()).map_err(|e| ApiError::invalid(field, Code::NotUrl).arg(e))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(ApiError::invalid(field, Code::HttpUrl));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ApiError::invalid(field, Code::UrlCredentials));
    }
    Ok(u)
}

/// A vendor robot URL: http(s), with the vendor's path and, where the vendor puts its token in
/// the query, that parameter.
fn robot_url(
    field: &str,
    value: &str,
    path: &str,
    query: Option<&str>,
    vendor: &str,
) -> Result<(), ApiError> {
    let u = http_url(field, value)?;
    // Without a query token, the token is the rest of the path.
    let path_ok = u.path().starts_with(path) && (query.is_some() || u.path().len() > path.len());
    let query_ok = query.is_none_or(|q| u.query_pairs().any(|(k, v)| k == q && !v.is_empty()));
    if !path_ok || !query_ok {
        let example = match query {
            Some(q) => format!("…{path}?{q}=…"),
            None => format!("…{path}…"),
        };
        return Err(ApiError::invalid(field, Code::RobotUrl)
            .arg(vendor)
            .arg(example));
    }
    Ok(())
}

fn address(field: &str, value: &str) -> Result<(), ApiError> {
    required(field, value)?;
    EmailAddress::from_str(value.trim())
        .map(|_| ())
        .map_err(|e| ApiError::invalid(field, Code::NotEmailDetail).arg(e))
}

/// Phone numbers as the vendors take them: digits, optionally a leading `+`.
fn phone(field: &str, value: &str) -> Result<(), ApiError> {
    required(field, value)?;
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.len() < 5 || digits.len() > 20 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::invalid(field, Code::PhoneNumber));
    }
    Ok(())
}

fn list<'a>(
    field: &str,
    values: &'a [String],
    need_one: bool,
    each: impl Fn(&str, &'a str) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    if need_one && values.is_empty() {
        return Err(ApiError::invalid(field, Code::NeedsEntry));
    }
    if values.len() > 100 {
        return Err(ApiError::invalid(field, Code::TooManyEntries).arg(100));
    }
    for (i, v) in values.iter().enumerate() {
        each(&format!("{field}[{i}]"), v)?;
    }
    Ok(())
}

fn code(field: &str, value: &str, prefix: &str) -> Result<(), ApiError> {
    required(field, value)?;
    let rest = value.strip_prefix(prefix).unwrap_or_default();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::invalid(field, Code::IdPrefix).arg(prefix));
    }
    Ok(())
}

fn plain(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    required(field, value)?;
    text(field, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, Code::ControlChars));
    }
    Ok(())
}

/// Checks a channel whose secrets are filled in (kept ones merged on the server).
pub fn validate(input: &ChannelInput) -> Result<(), ApiError> {
    plain("name", &input.name, 64)?;
    text("description", &input.description, 512)?;
    match &input.config {
        ChannelConfig::Webhook { url, .. } => {
            http_url("config.url", url.get())?;
        }
        ChannelConfig::Email {
            smtp_host,
            smtp_port,
            tls,
            from,
            to,
            username,
            password,
        } => {
            plain("config.smtp_host", smtp_host, 253)?;
            if smtp_host.contains(['/', ':', ' ']) {
                return Err(ApiError::invalid("config.smtp_host", Code::SmtpHost));
            }
            if *smtp_port == 0 {
                return Err(ApiError::invalid("config.smtp_port", Code::Port));
            }
            address("config.from", from)?;
            list("config.to", to, true, address)?;
            text("config.username", username, 256)?;
            if !username.is_empty() && password.get().is_empty() {
                return Err(ApiError::invalid("config.password", Code::RequiredWithUser));
            }
            if *tls == SmtpTls::None && !password.get().is_empty() {
                return Err(ApiError::invalid("config.tls", Code::PasswordNeedsTls));
            }
        }
        ChannelConfig::Feishu { url, at, .. } => {
            robot_url(
                "config.url",
                url.get(),
                "/open-apis/bot/v2/hook/",
                None,
                "Feishu",
            )?;
            list("config.at", at, false, |f, v| plain(f, v, 128))?;
        }
        ChannelConfig::Dingtalk {
            url, at_mobiles, ..
        } => {
            robot_url(
                "config.url",
                url.get(),
                "/robot/send",
                Some("access_token"),
                "DingTalk",
            )?;
            list("config.at_mobiles", at_mobiles, false, phone)?;
        }
        ChannelConfig::Wecom { url, mentioned } => {
            robot_url(
                "config.url",
                url.get(),
                "/cgi-bin/webhook/send",
                Some("key"),
                "WeCom",
            )?;
            list("config.mentioned", mentioned, false, |f, v| {
                plain(f, v, 128)
            })?;
        }
        ChannelConfig::AliyunSms {
            access_key_id,
            access_key_secret,
            phone_numbers,
            sign_name,
            template_code,
        } => {
            plain("config.access_key_id", access_key_id, 128)?;
            plain("config.access_key_secret", access_key_secret.get(), 256)?;
            list("config.phone_numbers", phone_numbers, true, phone)?;
            plain("config.sign_name", sign_name, 64)?;
            code("config.template_code", template_code, "SMS_")?;
        }
        ChannelConfig::AliyunVoice {
            access_key_id,
            access_key_secret,
            called_number,
            tts_code,
        } => {
            plain("config.access_key_id", access_key_id, 128)?;
            plain("config.access_key_secret", access_key_secret.get(), 256)?;
            phone("config.called_number", called_number)?;
            code("config.tts_code", tts_code, "TTS_")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
