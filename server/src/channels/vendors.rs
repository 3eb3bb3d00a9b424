//! One delivery attempt per channel kind: the vendor's request built around the rendered
//! message, sent through the public-only client (or SMTP), and the vendor's answer read
//! into ok / failed, with whether trying again may help.

use std::collections::BTreeMap;
use std::time::Duration;

use app::model::{ChannelConfig, SmtpTls};
use serde_json::{Value, json};

use super::message::{Messages, Rendered};
use super::payload::Group;
use super::public_client::PublicOnlyClient;
use super::sign;

/// Where the Alibaba Cloud APIs are; tests point them at a local stand-in.
#[derive(Debug, Clone)]
pub struct AliyunEndpoints {
    pub sms: String,
    pub voice: String,
}

impl Default for AliyunEndpoints {
    fn default() -> Self {
        AliyunEndpoints {
            sms: "https://dysmsapi.aliyuncs.com/".into(),
            voice: "https://dyvmsapi.aliyuncs.com/".into(),
        }
    }
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub ok: bool,
    /// What answered: `HTTP 200`, `code 0`, `SMTP 250 …`.
    pub upstream: String,
    pub error: String,
    pub transient: bool,
}

impl Attempt {
    fn ok(upstream: impl Into<String>) -> Attempt {
        Attempt {
            ok: true,
            upstream: upstream.into(),
            error: String::new(),
            transient: false,
        }
    }
    fn failed(upstream: impl Into<String>, error: impl Into<String>, transient: bool) -> Attempt {
        Attempt {
            ok: false,
            upstream: upstream.into(),
            error: error.into(),
            transient,
        }
    }
}

/// An HTTP request a channel makes, before sending: what Preview shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub content_type: &'static str,
    pub body: String,
}

pub struct Vendors {
    pub client: PublicOnlyClient,
    pub messages: Messages,
    pub aliyun: AliyunEndpoints,
}

fn at_feishu(at: &[String]) -> String {
    at.iter()
        .map(|u| {
            if u == "all" {
                "<at id=all></at>".to_string()
            } else {
                format!("<at id={u}></at>")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn nonce() -> String {
    crate::auth::token::random_token("")
}

/// Signed Alibaba Cloud RPC parameters for `action`, as a form body.
fn aliyun_form(action: &str, key_id: &str, secret: &str, extra: &[(&str, String)]) -> String {
    let mut p: BTreeMap<String, String> = [
        ("AccessKeyId", key_id.to_string()),
        ("Action", action.to_string()),
        ("Format", "JSON".to_string()),
        ("RegionId", "cn-hangzhou".to_string()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureNonce", nonce()),
        ("SignatureVersion", "1.0".to_string()),
        ("Timestamp", crate::db::rfc3339(crate::db::now())),
        ("Version", "2017-05-25".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        p.insert(k.to_string(), v.clone());
    }
    let signature = sign::aliyun("POST", &p, secret);
    p.insert("Signature".into(), signature);
    p.iter()
        .map(|(k, v)| format!("{}={}", sign::aliyun_encode(k), sign::aliyun_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A channel whose request cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum OutgoingError {
    #[error("robot URL: {0}")]
    RobotUrl(#[from] url::ParseError),
}

impl Vendors {
    /// The HTTP request for a channel and a group (`None` for e-mail), around the rendered
    /// message `r`. `raw` is the payload as Alertmanager sent it, passed through unchanged to
    /// plain webhooks.
    pub fn outgoing(
        &self,
        config: &ChannelConfig,
        group: &Group,
        r: &Rendered,
        raw: &Value,
        now_ms: i64,
    ) -> Result<Option<Outgoing>, OutgoingError> {
        let json_post = |url: String, body: Value| Outgoing {
            method: "POST",
            url,
            content_type: "application/json",
            body: body.to_string(),
        };
        let first = group.alerts.first();
        let time = first
            .map(|a| super::message::readable_time(&a.starts_at))
            .unwrap_or_default();
        Ok(Some(match config {
            ChannelConfig::Webhook { url, .. } => json_post(url.get().to_string(), raw.clone()),
            ChannelConfig::Feishu {
                url,
                at,
                sign_secret,
            } => {
                let mut content = r.markdown.clone();
                if !at.is_empty() {
                    content.push_str("\n\n");
                    content.push_str(&at_feishu(at));
                }
                let resolved = group.status == "resolved";
                let mut body = json!({
                    "msg_type": "interactive",
                    "card": {
                        "config": {"wide_screen_mode": true},
                        "header": {
                            "template": if resolved { "green" } else { "red" },
                            "title": {"tag": "plain_text", "content": r.title},
                        },
                        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": content}}],
                    },
                });
                if !sign_secret.get().is_empty() {
                    let ts = now_ms / 1000;
                    body["timestamp"] = json!(ts.to_string());
                    body["sign"] = json!(sign::feishu(ts, sign_secret.get()));
                }
                json_post(url.get().to_string(), body)
            }
            ChannelConfig::Dingtalk {
                url,
                at_mobiles,
                sign_secret,
            } => {
                let mut target = url::Url::parse(url.get())?;
                if !sign_secret.get().is_empty() {
                    target
                        .query_pairs_mut()
                        .append_pair("timestamp", &now_ms.to_string())
                        .append_pair("sign", &sign::dingtalk(now_ms, sign_secret.get()));
                }
                let mentions: Vec<String> = at_mobiles.iter().map(|m| format!("@{m}")).collect();
                let text = format!(
                    "#### {}\n\n{}\n\n{}",
                    r.title,
                    r.markdown,
                    mentions.join(" ")
                );
                json_post(
                    target.to_string(),
                    json!({
                        "msgtype": "markdown",
                        "markdown": {"title": r.title, "text": text.trim_end()},
                        "at": {"atMobiles": at_mobiles, "isAtAll": false},
                    }),
                )
            }
            ChannelConfig::Wecom { url, mentioned } => {
                let mentions: Vec<String> = mentioned
                    .iter()
                    .map(|m| {
                        if m == "@all" {
                            "@all".to_string()
                        } else {
                            format!("<@{m}>")
                        }
                    })
                    .collect();
                let content = format!("**{}**\n{}\n{}", r.title, r.markdown, mentions.join(" "));
                json_post(
                    url.get().to_string(),
                    json!({"msgtype": "markdown", "markdown": {"content": content.trim_end()}}),
                )
            }
            ChannelConfig::AliyunSms {
                access_key_id,
                access_key_secret,
                phone_numbers,
                sign_name,
                template_code,
            } => {
                let name = first.map(|a| a.name()).unwrap_or("alert");
                let detail = first.map(|a| a.message()).unwrap_or_default();
                // SMS template variables are short (35 characters).
                let param = json!({
                    "alert": cut(name, 35),
                    "time": time,
                    "number": group.alerts.len().to_string(),
                    "detail": cut(detail, 35),
                });
                Outgoing {
                    method: "POST",
                    url: self.aliyun.sms.clone(),
                    content_type: "application/x-www-form-urlencoded",
                    body: aliyun_form(
                        "SendSms",
                        access_key_id,
                        access_key_secret.get(),
                        &[
                            ("PhoneNumbers", phone_numbers.join(",")),
                            ("SignName", sign_name.clone()),
                            ("TemplateCode", template_code.clone()),
                            ("TemplateParam", param.to_string()),
                        ],
                    ),
                }
            }
            ChannelConfig::AliyunVoice {
                access_key_id,
                access_key_secret,
                called_number,
                tts_code,
            } => {
                let name = first.map(|a| a.name()).unwrap_or("alert");
                let param = json!({"alert": cut(name, 35), "time": time});
                Outgoing {
                    method: "POST",
                    url: self.aliyun.voice.clone(),
                    content_type: "application/x-www-form-urlencoded",
                    body: aliyun_form(
                        "SingleCallByTts",
                        access_key_id,
                        access_key_secret.get(),
                        &[
                            ("CalledNumber", called_number.clone()),
                            ("TtsCode", tts_code.clone()),
                            ("TtsParam", param.to_string()),
                        ],
                    ),
                }
            }
            ChannelConfig::Email { .. } => return Ok(None),
        }))
    }

    /// One attempt: build, send, read the vendor's verdict. The message is rendered once by
    /// the caller, not per attempt; signatures are made per attempt (they carry the time).
    pub async fn attempt(
        &self,
        config: &ChannelConfig,
        group: &Group,
        r: &Rendered,
        raw: &Value,
    ) -> Attempt {
        let now_ms = chrono::Utc::now().timestamp() * 1000;
        let out = match self.outgoing(config, group, r, raw, now_ms) {
            Ok(Some(o)) => o,
            Ok(None) => return self.email(config, r).await,
            Err(e) => return Attempt::failed("", e.to_string(), false),
        };
        let insecure = matches!(
            config,
            ChannelConfig::Webhook {
                insecure_tls: true,
                ..
            }
        );
        let (url, client) = match self.client.for_url(&out.url, insecure) {
            Ok(x) => x,
            Err(e) => return Attempt::failed("", e.to_string(), false),
        };
        let res = client
            .post(url)
            .header(http::header::CONTENT_TYPE, out.content_type)
            .body(out.body)
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) => {
                let (text, transient) = super::public_client::send_error(e);
                return Attempt::failed("", text, transient);
            }
        };
        let status = res.status();
        let body =
            super::public_client::read_capped(res, super::public_client::MAX_VENDOR_BODY).await;
        let http = format!("HTTP {}", status.as_u16());
        if !status.is_success() {
            let transient = status.is_server_error() || status.as_u16() == 429;
            let snippet: String = body.chars().take(300).collect();
            return Attempt::failed(http, snippet, transient);
        }
        verdict(config, &http, &body)
    }

    async fn email(&self, config: &ChannelConfig, r: &Rendered) -> Attempt {
        let ChannelConfig::Email {
            smtp_host,
            smtp_port,
            tls,
            from,
            to,
            username,
            password,
        } = config
        else {
            return Attempt::failed("", "not an e-mail channel", false);
        };
        match super::smtp::send(
            &super::smtp::Mail {
                host: smtp_host,
                port: *smtp_port,
                tls: *tls == SmtpTls::Tls,
                starttls: *tls == SmtpTls::Starttls,
                from,
                to,
                username,
                password: password.get(),
                subject: &r.subject,
                text: &r.markdown,
                html: &r.html,
            },
            &self.client.allow,
            Duration::from_secs(15),
        )
        .await
        {
            Ok(reply) => Attempt::ok(reply),
            Err((reply, error, transient)) => Attempt::failed(reply, error, transient),
        }
    }
}

/// Robots answer HTTP 200 with their own error codes in the body.
fn verdict(config: &ChannelConfig, http: &str, body: &str) -> Attempt {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = |k: &str| {
        v.get(k).and_then(|c| {
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })
    };
    match config {
        ChannelConfig::Webhook { .. } => Attempt::ok(http),
        ChannelConfig::Feishu { .. } => {
            let c = code("code").or_else(|| code("StatusCode")).unwrap_or(-1);
            let msg = v
                .get("msg")
                .or_else(|| v.get("StatusMessage"))
                .and_then(Value::as_str)
                .unwrap_or(body);
            if c == 0 {
                Attempt::ok(format!("{http}, code 0"))
            } else {
                // 9499: too many requests.
                Attempt::failed(format!("{http}, code {c}"), msg.to_string(), c == 9499)
            }
        }
        ChannelConfig::Dingtalk { .. } | ChannelConfig::Wecom { .. } => {
            let c = code("errcode").unwrap_or(-1);
            let msg = v.get("errmsg").and_then(Value::as_str).unwrap_or(body);
            if c == 0 {
                Attempt::ok(format!("{http}, errcode 0"))
            } else {
                // DingTalk 130101 and WeCom 45009: sending too fast.
                Attempt::failed(
                    format!("{http}, errcode {c}"),
                    msg.to_string(),
                    c == 130101 || c == 45009,
                )
            }
        }
        ChannelConfig::AliyunSms { .. } | ChannelConfig::AliyunVoice { .. } => {
            let c = v.get("Code").and_then(Value::as_str).unwrap_or("?");
            let msg = v.get("Message").and_then(Value::as_str).unwrap_or(body);
            if c == "OK" {
                Attempt::ok(format!("{http}, Code OK"))
            } else {
                let transient = c.contains("Throttling")
                    || c.contains("LIMIT_CONTROL")
                    || c == "ServiceUnavailable";
                Attempt::failed(format!("{http}, Code {c}"), msg.to_string(), transient)
            }
        }
        ChannelConfig::Email { .. } => Attempt::ok(http),
    }
}
