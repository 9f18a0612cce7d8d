//! Which network addresses the crawler may connect to: never a private,
//! loopback, link-local (cloud metadata), shared or otherwise non-public
//! address, unless the config allows them (`scope.allow_private_addresses`)
//! or a seed itself is on one. The check is made on the address a name
//! resolves to (a DNS resolver wrapper), not on the name, so a public name
//! pointing at 127.0.0.1 or 169.254.169.254 is refused as well.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// The marker in a refusal's message, read back when sorting errors into kinds.
pub const REFUSED: &str = "address refused";

/// The crawl's rule for addresses.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow_private: bool,
    /// Host names and IP literals of the seeds: a seed on a private address
    /// (an intranet portal, the tests' 127.0.0.1) may be reached.
    seed_hosts: HashSet<String>,
}

/// Why an address was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{REFUSED}: {host} is {ip}, a {what} address (set scope.allow_private_addresses = true to crawl such hosts)"
)]
pub struct Refused {
    /// The host as the URL names it.
    pub host: String,
    /// The address it is (or resolves to).
    pub ip: IpAddr,
    /// What kind of address that is: loopback, private …
    pub what: &'static str,
}

impl AddressPolicy {
    /// The policy of a crawl over `seeds`; `allow_private` lets every address through.
    pub fn new<'a>(allow_private: bool, seeds: impl IntoIterator<Item = &'a Url>) -> AddressPolicy {
        AddressPolicy {
            allow_private,
            seed_hosts: seeds
                .into_iter()
                .filter_map(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
                .collect(),
        }
    }

    /// Whether `host` (as written in the URL) may be connected to at `ip`.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private || self.seed_hosts.contains(&host.to_ascii_lowercase()) {
            return Ok(());
        }
        match non_public(ip) {
            Some(what) => Err(Refused {
                host: host.to_string(),
                ip,
                what,
            }),
            None => Ok(()),
        }
    }

    /// The check for a connection made by someone else (the browser): an IP
    /// literal is checked as it is, a name on every address it resolves to.
    pub async fn check_resolved(&self, url: &Url) -> Result<(), Refused> {
        self.check_url(url)?;
        let Some(Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        if self.allow_private || self.seed_hosts.contains(&name.to_ascii_lowercase()) {
            return Ok(());
        }
        // A name that does not resolve fails in the browser by itself.
        let Ok(addrs) = tokio::net::lookup_host((name, 0)).await else {
            return Ok(());
        };
        for a in addrs {
            self.check(name, a.ip())?;
        }
        Ok(())
    }

    /// The check for a URL whose host is an IP literal, which is never resolved
    /// (names are checked when they resolve, by [`GuardedResolver`]).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        self.check(url.host_str().unwrap_or_default(), ip)
    }
}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local (cloud metadata)")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_broadcast() || v4.is_multicast() || a >= 240 {
                Some("broadcast, multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
    }
}

/// The system resolver, keeping only the addresses the policy allows; a name
/// with none left fails with the refusal.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check(&host, a.ip()) {
                    Ok(()) => true,
                    Err(r) => {
                        refused.get_or_insert(r);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_addresses_are_named() {
        for (a, public) in [
            ("127.0.0.2", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.100.100.200", false),
            ("0.0.0.0", false),
            ("::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("8.8.8.8", true),
            ("202.96.134.133", true),
            ("2400:3200::1", true),
        ] {
            assert_eq!(non_public(ip(a)).is_none(), public, "{a}");
        }
    }

    #[test]
    fn a_seed_on_a_private_address_may_be_reached_and_nothing_else() {
        let seed = Url::parse("http://127.0.0.1:8080/zwgk/").unwrap();
        let p = AddressPolicy::new(false, [&seed]);
        assert!(p.check_url(&seed).is_ok());
        let other = Url::parse("http://127.0.0.2:8080/").unwrap();
        let err = p.check_url(&other).unwrap_err().to_string();
        assert!(
            err.contains("127.0.0.2") && err.contains("loopback"),
            "{err}"
        );
        let metadata = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        assert!(p.check_url(&metadata).is_err());
        assert!(p.check("intranet.example", ip("10.0.0.5")).is_err());
        assert!(p.check("www.gov.cn", ip("202.96.134.133")).is_ok());
        let open = AddressPolicy::new(true, []);
        assert!(open.check_url(&metadata).is_ok());
    }
}
