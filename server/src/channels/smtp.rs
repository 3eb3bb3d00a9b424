//! E-mail delivery over SMTP with lettre. The SMTP host is user input like a webhook URL: it is
//! resolved once, checked against the same rules as HTTP targets, and the connection goes to
//! that checked address (TLS still verifies the host name).

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::public_client::{AllowList, global, refused};

pub struct Mail<'a> {
    pub host: &'a str,
    pub port: u16,
    /// TLS from the first byte (SMTPS).
    pub tls: bool,
    /// Plain, then upgraded with STARTTLS (required: no silent downgrade).
    pub starttls: bool,
    pub from: &'a str,
    pub to: &'a [String],
    pub username: &'a str,
    pub password: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// `(reply, error, transient)` of a failed send.
pub type Failure = (String, String, bool);

async fn checked_address(host: &str, port: u16, allow: &AllowList) -> Result<IpAddr, Failure> {
    let refused = |ip: IpAddr| (String::new(), refused(host, ip).to_string(), false);
    let may = |ip: IpAddr| global(ip) || allow.allows_ip(ip);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if may(ip) { Ok(ip) } else { Err(refused(ip)) };
    }
    let by_name = allow.allows_host(host);
    let found: Vec<IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| (String::new(), format!("resolving {host}: {e}"), true))?
        .map(|a| a.ip())
        .collect();
    match found.iter().find(|ip| by_name || may(**ip)) {
        Some(ip) => Ok(*ip),
        None => match found.first() {
            Some(ip) => Err(refused(*ip)),
            None => Err((
                String::new(),
                format!("resolving {host}: no addresses"),
                true,
            )),
        },
    }
}

fn mailbox(field: &str, v: &str) -> Result<Mailbox, Failure> {
    v.parse()
        .map_err(|e| (String::new(), format!("{field} {v}: {e}"), false))
}

pub async fn send(
    mail: &Mail<'_>,
    allow: &AllowList,
    timeout: Duration,
) -> Result<String, Failure> {
    let ip = checked_address(mail.host, mail.port, allow).await?;
    let mut message = Message::builder()
        .from(mailbox("from", mail.from)?)
        .subject(mail.subject);
    for to in mail.to {
        message = message.to(mailbox("to", to)?);
    }
    let message = message
        .multipart(MultiPart::alternative_plain_html(
            mail.text.to_string(),
            mail.html.to_string(),
        ))
        .map_err(|e| (String::new(), format!("building the message: {e}"), false))?;
    let tls = if mail.tls || mail.starttls {
        let params = TlsParameters::new(mail.host.to_string())
            .map_err(|e| (String::new(), format!("TLS: {e}"), false))?;
        if mail.tls {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        }
    } else {
        Tls::None
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip.to_string())
        .port(mail.port)
        .tls(tls)
        .timeout(Some(timeout));
    if !mail.username.is_empty() {
        transport = transport.credentials(Credentials::new(
            mail.username.to_string(),
            mail.password.to_string(),
        ));
    }
    let transport = transport.build();
    match transport.send(message).await {
        Ok(r) => Ok(format!(
            "SMTP {} {}",
            r.code(),
            r.message().collect::<Vec<_>>().join(" ")
        )
        .trim()
        .to_string()),
        Err(e) => {
            let reply = e.status().map(|c| format!("SMTP {c}")).unwrap_or_default();
            let transient = !e.is_permanent();
            Err((reply, crate::observe::error_chain(&e), transient))
        }
    }
}
