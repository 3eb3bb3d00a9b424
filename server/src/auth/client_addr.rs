//! The address a request came from, for the per-address login limit and the audit log. Behind a
//! reverse proxy every request comes from the proxy, so `X-Forwarded-For` is read, but only when
//! the peer is one of the configured `trusted_proxies`: anyone else could write any address there.

use std::net::IpAddr;

use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// An entry of `trusted_proxies` that is neither an address nor a network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("trusted_proxies: {0:?} is not an address or CIDR")]
pub struct NotAnAddress(pub String);

impl TrustedProxies {
    /// Comma-separated addresses or CIDRs (`10.0.0.0/8, 127.0.0.1`); empty trusts none.
    pub fn parse(list: &str) -> Result<TrustedProxies, NotAnAddress> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| NotAnAddress(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The socket peer, or, when the peer is a trusted proxy, the nearest address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (read from the right, as each proxy
    /// appends the address it saw).
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> String {
        let Some(peer) = peer else {
            return String::new();
        };
        if !self.trusts(peer) {
            return peer.to_string();
        }
        let hops: Vec<IpAddr> = forwarded_for
            .unwrap_or_default()
            .split(',')
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or(hops.first())
            .unwrap_or(&peer)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let lb = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let cases = [
            (&none, ip("203.0.113.9"), Some("1.2.3.4"), "203.0.113.9"),
            (&none, ip("10.0.0.5"), Some("1.2.3.4"), "10.0.0.5"),
            (&lb, ip("203.0.113.9"), Some("1.2.3.4"), "203.0.113.9"),
            (&lb, ip("10.0.0.5"), Some("1.2.3.4"), "1.2.3.4"),
            // A client that writes its own header cannot pick the address the proxy saw.
            (&lb, ip("10.0.0.5"), Some("6.6.6.6, 1.2.3.4"), "1.2.3.4"),
            (&lb, ip("10.0.0.5"), Some("1.2.3.4, 10.0.0.7"), "1.2.3.4"),
            (&lb, ip("10.0.0.5"), None, "10.0.0.5"),
            (&lb, ip("127.0.0.1"), Some("junk"), "127.0.0.1"),
            (&lb, None, Some("1.2.3.4"), ""),
        ];
        for (trusted, peer, xff, want) in cases {
            assert_eq!(trusted.client(peer, xff), want, "{peer:?} {xff:?}");
        }
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8, 10.0.0.0/99").unwrap_err(),
            NotAnAddress("10.0.0.0/99".into())
        );
    }
}
