//! The one HTTP client for notification traffic (webhooks, robots, vendor APIs). Targets are
//! user input, so the client refuses any address that is not publicly routable, at connect time:
//! IP literals (in any spelling the URL parser accepts: decimal, octal, hex) are checked before
//! sending, host names in the DNS resolver hook (so a name that re-resolves to 127.0.0.1 later is
//! still refused), and every redirect hop again. An allow-list in the configuration opens
//! specific internal hosts or networks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use thiserror::Error;
use url::{Host, Url};

/// Why a notification target is not used, or the client could not be set up.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PublicClientError {
    #[error(
        "refused: {host} is not a public address ({ip}); an administrator can allow it in notify.allow"
    )]
    NotPublic { host: String, ip: IpAddr },
    #[error("refused: {0} URLs are not allowed")]
    Scheme(String),
    #[error("refused: the URL has no host")]
    NoHost,
    #[error("invalid URL: {0}")]
    InvalidUrl(#[from] url::ParseError),
    #[error("notify allow-list: {0} is not a CIDR")]
    AllowList(String),
    #[error("building the HTTP client: {0}")]
    Build(String),
}

impl PublicClientError {
    /// A refusal stands: sending again is refused again.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            PublicClientError::NotPublic { .. }
                | PublicClientError::Scheme(_)
                | PublicClientError::NoHost
        )
    }
}

/// Internal destinations an administrator allows.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    pub hosts: Vec<String>,
    pub nets: Vec<IpNet>,
}

impl AllowList {
    /// Entries are host names or CIDRs (`10.0.0.0/8`, `127.0.0.1/32`); a bare address counts
    /// as a single-address network.
    pub fn parse(entries: &[String]) -> Result<AllowList, PublicClientError> {
        let mut out = AllowList::default();
        for e in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(net) = e.parse::<IpNet>() {
                out.nets.push(net);
            } else if let Ok(ip) = e.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else if e.contains('/') {
                return Err(PublicClientError::AllowList(e.to_string()));
            } else {
                out.hosts.push(e.to_ascii_lowercase());
            }
        }
        Ok(out)
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }
}

/// Whether an IPv4 address is publicly routable (not loopback, RFC 1918, link-local, CGNAT,
/// documentation, benchmarking, multicast, reserved, broadcast or "this network").
pub fn global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

/// Whether an IPv6 address is publicly routable. Addresses that embed an IPv4 address
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by that address.
pub fn global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return global_v4(v4);
    }
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // ::a.b.c.d (deprecated IPv4-compatible), but not :: and ::1.
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return global_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return global_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return global_v4(embedded(s[1], s[2]));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] & 0xff00) == 0xff00
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]))
}

pub fn global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => global_v4(v4),
        IpAddr::V6(v6) => global_v6(v6),
    }
}

pub fn refused(host: &str, ip: IpAddr) -> PublicClientError {
    PublicClientError::NotPublic {
        host: host.to_string(),
        ip,
    }
}

/// Checks a URL before any connection: the scheme, and an IP-literal host. Names are checked
/// when they resolve.
pub fn check_url(url: &Url, allow: &AllowList) -> Result<(), PublicClientError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(PublicClientError::Scheme(url.scheme().to_string()));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(PublicClientError::NoHost),
    };
    if global(ip) || allow.allows_ip(ip) {
        Ok(())
    } else {
        Err(refused(&ip.to_string(), ip))
    }
}

/// The DNS hook: resolves with the system resolver, then keeps only addresses that may be
/// reached. A name whose every address is refused fails to resolve.
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> {
                    format!("resolving {host}: {e}").into()
                })?
                .collect();
            let by_name = allow.allows_host(&host);
            let ok: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| by_name || global(a.ip()) || allow.allows_ip(a.ip()))
                .collect();
            match (ok.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(ok.into_iter()) as Addrs),
                (true, Some(first)) => Err(refused(&host, first.ip()).into()),
                (true, None) => Err(format!("resolving {host}: no addresses").into()),
            }
        })
    }
}

/// The client for notification traffic: it reaches only public addresses, unless the allow-list
/// opens an internal one.
#[derive(Clone)]
pub struct PublicOnlyClient {
    pub allow: Arc<AllowList>,
    client: reqwest::Client,
    insecure: reqwest::Client,
}

const MAX_REDIRECTS: usize = 3;

impl PublicOnlyClient {
    pub fn new(allow: AllowList, timeout: Duration) -> Result<PublicOnlyClient, PublicClientError> {
        let allow = Arc::new(allow);
        let build = |insecure: bool| {
            let hop_allow = allow.clone();
            reqwest::Client::builder()
                .dns_resolver(Arc::new(GuardedResolver {
                    allow: allow.clone(),
                }))
                .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS {
                        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                    }
                    match check_url(attempt.url(), &hop_allow) {
                        Ok(()) => attempt.follow(),
                        Err(e) => attempt.error(e),
                    }
                }))
                .connect_timeout(Duration::from_secs(5))
                .timeout(timeout)
                .danger_accept_invalid_certs(insecure)
                // A proxy would resolve and connect in our place, past the address checks.
                .no_proxy()
                .user_agent(concat!("gemscope/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| PublicClientError::Build(crate::observe::error_chain(&e)))
        };
        Ok(PublicOnlyClient {
            client: build(false)?,
            insecure: build(true)?,
            allow,
        })
    }

    /// A client for `url`, once the URL itself passes; `insecure` skips TLS verification (a
    /// webhook's own choice).
    pub fn for_url(
        &self,
        url: &str,
        insecure: bool,
    ) -> Result<(Url, &reqwest::Client), PublicClientError> {
        let parsed = Url::parse(url)?;
        check_url(&parsed, &self.allow)?;
        Ok((
            parsed,
            if insecure {
                &self.insecure
            } else {
                &self.client
            },
        ))
    }
}

/// A vendor's answer is a small JSON document; more than this is not read (a hostile or broken
/// endpoint could stream forever).
pub const MAX_VENDOR_BODY: usize = 64 * 1024;

/// The body of an answer, up to `max` bytes (the rest is dropped with the connection).
pub async fn read_capped(mut res: reqwest::Response, max: usize) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < max {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let room = max - buf.len();
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A failed send as it is stored and shown: without the URL, whose path and query carry robot
/// tokens and access keys; and whether it may succeed later (an address refused at resolve time
/// or on a redirect hop is refused again).
pub fn send_error(e: reqwest::Error) -> (String, bool) {
    let e = e.without_url();
    let refusal = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| {
        e.downcast_ref::<PublicClientError>()
            .is_some_and(PublicClientError::is_refusal)
    });
    (crate::observe::error_chain(&e), !refusal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn vendor_answers_are_read_up_to_the_cap() {
        use tokio::io::AsyncWriteExt;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            if let Ok((mut sock, _)) = listener.accept().await {
                let mut req = [0u8; 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut req).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
                    .await;
                // An answer that never ends.
                let chunk = vec![b'x'; 16 * 1024];
                while sock.write_all(&chunk).await.is_ok() {}
            }
        });
        let out = PublicOnlyClient::new(
            AllowList::parse(&["127.0.0.1/32".into()]).unwrap(),
            Duration::from_secs(5),
        )
        .unwrap();
        let (url, client) = out.for_url(&format!("http://{addr}/"), false).unwrap();
        let res = client.post(url).send().await.unwrap();
        let body = read_capped(res, MAX_VENDOR_BODY).await;
        assert_eq!(body.len(), MAX_VENDOR_BODY);
    }

    #[tokio::test]
    async fn a_dropped_connection_error_names_no_secret() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                drop(sock);
            }
        });
        let out = PublicOnlyClient::new(
            AllowList::parse(&["127.0.0.1/32".into()]).unwrap(),
            Duration::from_secs(2),
        )
        .unwrap();
        let secret = format!("http://{addr}/robot/send?access_token=SECRET-TOKEN-123");
        let (url, client) = out.for_url(&secret, false).unwrap();
        let e = client.post(url).send().await.unwrap_err();
        let (text, transient) = send_error(e);
        assert!(!text.contains("SECRET-TOKEN-123"), "{text}");
        assert!(!text.contains("/robot/send"), "{text}");
        assert!(!text.is_empty());
        assert!(transient, "a dropped connection may work next time");
    }

    #[tokio::test]
    async fn proxy_variables_do_not_bypass_the_address_checks() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = proxy.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = proxy.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(sock);
            }
        });
        // SAFETY: the variables are set and removed around building the client only; loopback
        // stays excluded so other tests' requests are not sent to this proxy meanwhile.
        unsafe {
            std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
            std::env::set_var("HTTP_PROXY", format!("http://{addr}"));
        }
        let out = PublicOnlyClient::new(AllowList::default(), Duration::from_secs(2));
        unsafe {
            std::env::remove_var("HTTP_PROXY");
            std::env::remove_var("NO_PROXY");
        }
        let out = out.unwrap();
        // A public name: through a proxy the proxy would resolve it (to anything, a private
        // address included). Without one it is resolved here, where the checks are.
        let (url, client) = out
            .for_url("http://gemscope-proxy-test.example/hook", false)
            .unwrap();
        let _ = client.post(url).send().await;
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the proxy was used"
        );
    }

    #[test]
    fn addresses_that_are_not_public_are_refused() {
        let none = AllowList::default();
        let cases = [
            ("http://127.0.0.1/", false),
            ("http://127.1/", false),
            ("http://2130706433/", false),
            ("http://0x7f000001/", false),
            ("http://0177.0.0.1/", false),
            ("http://0/", false),
            ("http://10.1.2.3/", false),
            ("http://172.16.0.1/", false),
            ("http://172.31.255.255/", false),
            ("http://192.168.1.1/", false),
            ("http://169.254.169.254/latest/meta-data/", false),
            ("http://100.64.0.1/", false),
            ("http://[::1]/", false),
            ("http://[::]/", false),
            ("http://[fd00::1]/", false),
            ("http://[fe80::1]/", false),
            ("http://[::ffff:127.0.0.1]/", false),
            ("http://[::ffff:7f00:1]/", false),
            ("http://[::ffff:169.254.169.254]/", false),
            ("http://[64:ff9b::a9fe:a9fe]/", false),
            ("http://[2002:7f00:1::]/", false),
            ("http://224.0.0.1/", false),
            ("http://255.255.255.255/", false),
            ("file:///etc/passwd", false),
            ("gopher://example.com/", false),
            ("http://8.8.8.8/", true),
            ("https://172.32.0.1/", true),
            ("http://[2606:4700::1111]/", true),
            ("http://[::ffff:8.8.8.8]/", true),
            ("https://hooks.example.com/x", true),
        ];
        for (url, ok) in cases {
            let u = Url::parse(url).unwrap();
            assert_eq!(
                check_url(&u, &none).is_ok(),
                ok,
                "{url}: {:?}",
                check_url(&u, &none)
            );
        }
    }

    #[test]
    fn the_allow_list_opens_hosts_and_networks() {
        let allow = AllowList::parse(&[
            "127.0.0.1/32".into(),
            "10.0.0.0/8".into(),
            "Sink.Internal".into(),
        ])
        .unwrap();
        for (url, ok) in [
            ("http://127.0.0.1:9/", true),
            ("http://127.0.0.2/", false),
            ("http://10.9.8.7/", true),
            ("http://192.168.0.1/", false),
        ] {
            assert_eq!(
                check_url(&Url::parse(url).unwrap(), &allow).is_ok(),
                ok,
                "{url}"
            );
        }
        assert!(allow.allows_host("sink.internal."));
        assert!(AllowList::parse(&["10.0.0.0/99".into()]).is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused_when_connecting() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let out = PublicOnlyClient::new(AllowList::default(), Duration::from_secs(2)).unwrap();
        let (url, client) = out.for_url("http://localhost:9/hook", false).unwrap();
        let e = client.post(url).send().await.unwrap_err();
        let (text, transient) = send_error(e);
        assert!(
            text.contains("refused: localhost is not a public address"),
            "{text}"
        );
        // Found as the resolver's typed error inside reqwest's chain, not by its words.
        assert!(!transient, "a refused address is refused again");
        // Allowed by name, the same request gets as far as connecting (nothing listens on 9).
        let out = PublicOnlyClient::new(
            AllowList::parse(&["localhost".into()]).unwrap(),
            Duration::from_secs(2),
        )
        .unwrap();
        let (url, client) = out.for_url("http://localhost:9/hook", false).unwrap();
        let e = client.post(url).send().await.unwrap_err();
        let (text, transient) = send_error(e);
        assert!(!text.contains("refused: localhost"), "{text}");
        assert!(transient, "{text}");
    }
}
