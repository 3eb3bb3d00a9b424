//! Stand-ins for the notification vendors: one HTTP server that answers like the Feishu,
//! DingTalk and WeCom robot APIs and Alibaba Cloud's SMS/voice RPC API (checking signatures
//! with the vendors' own algorithms and answering their error codes), plus a plain webhook
//! sink, and a minimal SMTP server. Everything received is recorded for the tests to assert.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One request a vendor stand-in received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Received {
    pub vendor: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: String,
    /// The JSON body, or the form fields of an Alibaba Cloud call.
    pub json: Value,
}

/// One e-mail the SMTP sink accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
pub struct Sinks {
    pub received: Mutex<Vec<Received>>,
    pub mails: Mutex<Vec<Mail>>,
    /// Secrets the stand-ins check signatures with (the vendor side of the channel).
    pub feishu_secret: Mutex<Option<String>>,
    pub dingtalk_secret: Mutex<Option<String>>,
    pub aliyun_secret: Mutex<Option<String>>,
    /// The next N requests answer 503, as an overloaded vendor would.
    pub fail_next: AtomicU32,
}

pub type Shared = Arc<Sinks>;

impl Sinks {
    pub fn received(&self, vendor: &str) -> Vec<Received> {
        self.received
            .lock()
            .map(|r| r.iter().filter(|x| x.vendor == vendor).cloned().collect())
            .unwrap_or_default()
    }

    fn record(&self, vendor: &str, uri: &Uri, body: &str, json: Value) {
        let query = uri
            .query()
            .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
            .unwrap_or_default();
        if let Ok(mut r) = self.received.lock() {
            r.push(Received {
                vendor: vendor.into(),
                path: uri.path().into(),
                query,
                body: body.into(),
                json,
            });
        }
    }

    fn overloaded(&self) -> bool {
        self.fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn hmac256(key: &[u8], data: &[u8]) -> String {
    // HMAC takes keys of any length; an error would only yield a signature that never matches.
    let Ok(mut m) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    m.update(data);
    STANDARD.encode(m.finalize().into_bytes())
}

fn secret(m: &Mutex<Option<String>>) -> Option<String> {
    m.lock().ok().and_then(|s| s.clone())
}

async fn webhook(State(s): State<Shared>, uri: Uri, body: String) -> Response {
    if s.overloaded() {
        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
    }
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    s.record("webhook", &uri, &body, json);
    "ok".into_response()
}

/// Feishu custom robot: with a sign secret, `timestamp` and `sign` in the body must match.
async fn feishu(State(s): State<Shared>, uri: Uri, body: String) -> Response {
    if s.overloaded() {
        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
    }
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    s.record("feishu", &uri, &body, json.clone());
    if let Some(secret) = secret(&s.feishu_secret) {
        let ts = json["timestamp"].as_str().unwrap_or_default();
        let want = hmac256(format!("{ts}\n{secret}").as_bytes(), b"");
        if json["sign"].as_str() != Some(want.as_str()) {
            return axum::Json(json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}})).into_response();
        }
    }
    if json["msg_type"] != "interactive" {
        return axum::Json(json!({"code": 19002, "msg": "params error, msg_type need"}))
            .into_response();
    }
    axum::Json(json!({"code": 0, "msg": "success", "data": {}})).into_response()
}

/// DingTalk custom robot: with a sign secret, `timestamp` (ms) and `sign` in the query.
async fn dingtalk(
    State(s): State<Shared>,
    uri: Uri,
    Query(q): Query<BTreeMap<String, String>>,
    body: String,
) -> Response {
    if s.overloaded() {
        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
    }
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    s.record("dingtalk", &uri, &body, json.clone());
    if q.get("access_token").is_none_or(|t| t.is_empty()) {
        return axum::Json(json!({"errcode": 300001, "errmsg": "token is not exist"}))
            .into_response();
    }
    if let Some(secret) = secret(&s.dingtalk_secret) {
        let ts = q.get("timestamp").cloned().unwrap_or_default();
        let want = hmac256(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes());
        if q.get("sign") != Some(&want) {
            return axum::Json(json!({"errcode": 310000, "errmsg": "sign not match"}))
                .into_response();
        }
    }
    axum::Json(json!({"errcode": 0, "errmsg": "ok"})).into_response()
}

async fn wecom(State(s): State<Shared>, uri: Uri, body: String) -> Response {
    if s.overloaded() {
        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
    }
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    s.record("wecom", &uri, &body, json.clone());
    if json["msgtype"] != "markdown" && json["msgtype"] != "text" {
        return axum::Json(json!({"errcode": 40008, "errmsg": "invalid message type"}))
            .into_response();
    }
    axum::Json(json!({"errcode": 0, "errmsg": "ok"})).into_response()
}

/// Alibaba Cloud RPC: form fields signed with HMAC-SHA1 over the canonical query.
async fn aliyun(State(s): State<Shared>, uri: Uri, body: String) -> Response {
    let fields: BTreeMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    s.record("aliyun", &uri, &body, json!(fields));
    let enc = |v: &str| {
        let mut out = String::new();
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let given = fields.get("Signature").cloned().unwrap_or_default();
    let canonical = fields
        .iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&{}&{}", enc("/"), enc(&canonical));
    let secret = secret(&s.aliyun_secret).unwrap_or_default();
    let Ok(mut m) = <Hmac<sha1::Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes())
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "hmac").into_response();
    };
    m.update(to_sign.as_bytes());
    let want = STANDARD.encode(m.finalize().into_bytes());
    if given != want {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation."})),
        )
            .into_response();
    }
    match fields.get("Action").map(String::as_str) {
        Some("SendSms") | Some("SingleCallByTts") => axum::Json(
            json!({"Code": "OK", "Message": "OK", "RequestId": "sink", "BizId": "sink^0"}),
        )
        .into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"Code": "InvalidAction.NotFound", "Message": "unknown action"})),
        )
            .into_response(),
    }
}

async fn all(State(s): State<Shared>) -> Response {
    let r = s.received.lock().map(|r| r.clone()).unwrap_or_default();
    let m = s.mails.lock().map(|m| m.clone()).unwrap_or_default();
    axum::Json(json!({"received": r, "mails": m})).into_response()
}

pub fn router(s: Shared) -> Router {
    Router::new()
        .route("/", post(aliyun))
        .route("/webhook/{*rest}", post(webhook))
        .route("/open-apis/bot/v2/hook/{token}", post(feishu))
        .route("/robot/send", post(dingtalk))
        .route("/cgi-bin/webhook/send", post(wecom))
        .route("/_received", get(all))
        .with_state(s)
}

/// Serves the HTTP stand-ins and the SMTP sink.
pub async fn serve(
    http: SocketAddr,
    smtp: SocketAddr,
) -> anyhow::Result<(SocketAddr, SocketAddr, Shared)> {
    let s: Shared = Arc::new(Sinks::default());
    let listener = tokio::net::TcpListener::bind(http).await?;
    let http_addr = listener.local_addr()?;
    let app = router(s.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let smtp_listener = tokio::net::TcpListener::bind(smtp).await?;
    let smtp_addr = smtp_listener.local_addr()?;
    let sinks = s.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = smtp_listener.accept().await {
            let sinks = sinks.clone();
            tokio::spawn(async move {
                let _ = smtp_session(conn, sinks).await;
            });
        }
    });
    Ok((http_addr, smtp_addr, s))
}

/// Just enough SMTP (RFC 5321) for a client to deliver one or more messages, without TLS.
async fn smtp_session(conn: tokio::net::TcpStream, sinks: Shared) -> std::io::Result<()> {
    let (r, mut w) = conn.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().trim_matches(['<', '>']).to_string();
            to.clear();
            b"250 2.1.0 Ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
            b"250 2.1.5 Ok\r\n"
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
                data.push('\n');
            }
            if let Ok(mut m) = sinks.mails.lock() {
                m.push(Mail {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                });
            }
            b"250 2.0.0 Ok: queued as SINK1\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 2.0.0 Ok\r\n"
        } else if upper == "QUIT" {
            w.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 Command not recognized\r\n"
        };
        w.write_all(reply).await?;
    }
    Ok(())
}
