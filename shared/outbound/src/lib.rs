//! Outbound addresses are the customer's: a WordPress URL or an AI provider's base URL
//! could name our own network
//! (the instance metadata service, a database next door). Every address a request
//! connects to is checked after DNS resolution, by the HTTP client's resolver, so a
//! name that resolves to a private address is refused as well as a literal one — and a
//! name cannot pass the check and then resolve elsewhere (rebinding), because the
//! check is made on the addresses the connection uses.
//!
//! Loopback and private ranges are allowed only with `ALLOW_PRIVATE_URLS=1` (the local
//! stack and the tests, whose WordPress runs on 127.0.0.1); link-local addresses (the
//! metadata service among them), unspecified, multicast and broadcast ones never.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

/// Which addresses outbound requests may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPolicy {
    pub allow_private: bool,
}

impl OutboundPolicy {
    /// `ALLOW_PRIVATE_URLS=1` allows loopback and private addresses.
    pub fn from_env() -> Self {
        Self { allow_private: std::env::var("ALLOW_PRIVATE_URLS").is_ok_and(|v| v.trim() == "1") }
    }

    /// Why `ip` may not be reached, if it may not.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) => self.refusal_v4(v4),
            IpAddr::V6(v6) => self.refusal_v6(v6),
        }
    }

    fn refusal_v4(&self, ip: Ipv4Addr) -> Option<&'static str> {
        let [a, b, ..] = ip.octets();
        if ip.is_link_local() {
            return Some("a link-local address (such as the cloud metadata service)");
        }
        if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 || a >= 240 {
            return Some("not a unicast address");
        }
        let private = ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b));
        (private && !self.allow_private).then_some("a private or loopback address")
    }

    fn refusal_v6(&self, ip: Ipv6Addr) -> Option<&'static str> {
        let first = ip.segments()[0];
        if (first & 0xffc0) == 0xfe80 {
            return Some("a link-local address");
        }
        if ip.is_unspecified() || ip.is_multicast() {
            return Some("not a unicast address");
        }
        // fc00::/7 unique local (AWS's fd00:ec2::254 metadata address is one).
        if first == 0xfd00 && ip.segments()[1] == 0x0ec2 {
            return Some("the cloud metadata service");
        }
        let private = ip.is_loopback() || (first & 0xfe00) == 0xfc00;
        (private && !self.allow_private).then_some("a private or loopback address")
    }

    /// Checks a URL before any request: http(s), a host, no credentials, and a literal IP
    /// host allowed (names are checked when resolved).
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("Only http and https addresses can be used.".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("The address must not contain a username or password.".into());
        }
        let ip = match url.host() {
            None => return Err("The address has no host.".into()),
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(Host::Domain(_)) => return Ok(()),
        };
        match self.refusal(ip) {
            Some(why) => Err(format!("{ip} is {why}; it cannot be reached from here.")),
            None => Ok(()),
        }
    }
}

/// Resolves names and refuses the answer when any address in it may not be reached.
#[derive(Debug, Clone)]
struct GuardedResolver {
    policy: OutboundPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(why) = addrs.iter().find_map(|a| policy.refusal(a.ip())) {
                let message = format!("{host} resolves to {why}; it cannot be reached from here");
                return Err(Box::new(Refused(message)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The resolver's refusal, found again in the error chain by [`refused_reason`].
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// An error with its causes: reqwest's own message says only "error sending request";
/// the cause (refused, reset, DNS, this guard) is further down the source chain.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The guard's words, when `error` (or a cause of it) is its refusal.
pub fn refused_reason(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        current = e.source();
    }
    None
}

/// The HTTP client for customers' sites: guarded resolution, no redirects followed (a
/// redirected POST would silently become a GET), bounded connect time.
pub fn client(policy: OutboundPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls())
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("IGNY8/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|e| {
            // Only a broken TLS backend fails here; a client without the guard is never used.
            panic!("the HTTP client cannot be built: {e}")
        })
}

/// TLS for outbound calls: rustls on aws-lc-rs (the SDK's provider, so one in every
/// binary) trusting Mozilla's roots, compiled in. reqwest's own default reads the
/// system's certificate directory when the client is built, at every cold start.
fn tls() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("aws-lc-rs offers no TLS version: {e}"))
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_tls_runs_on_aws_lc() {
        let config = tls();
        let ours: Vec<_> = config.crypto_provider().cipher_suites.iter().map(|s| s.suite()).collect();
        let aws_lc: Vec<_> =
            rustls::crypto::aws_lc_rs::default_provider().cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(ours, aws_lc);
        assert!(ours.iter().any(|s| format!("{s:?}").starts_with("TLS13_")));
    }

    const STRICT: OutboundPolicy = OutboundPolicy { allow_private: false };
    const LOCAL: OutboundPolicy = OutboundPolicy { allow_private: true };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        for addr in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1", "fc00::1", "::ffff:10.0.0.1"]
        {
            assert!(STRICT.refusal(ip(addr)).is_some(), "{addr}");
            assert!(LOCAL.refusal(ip(addr)).is_none(), "{addr}");
        }
    }

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        for addr in [
            "169.254.169.254",
            "169.254.1.1",
            "fe80::1",
            "fd00:ec2::254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::",
            "::ffff:169.254.169.254",
        ] {
            assert!(STRICT.refusal(ip(addr)).is_some(), "{addr}");
            assert!(LOCAL.refusal(ip(addr)).is_some(), "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(STRICT.refusal(ip(addr)).is_none(), "{addr}");
        }
    }

    #[test]
    fn urls_are_checked_before_resolution() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(STRICT.check_url(&url("https://blog.example.com/")).is_ok());
        assert!(STRICT.check_url(&url("http://127.0.0.1:8080/")).is_err());
        assert!(LOCAL.check_url(&url("http://127.0.0.1:8080/")).is_ok());
        assert!(LOCAL.check_url(&url("http://169.254.169.254/latest/")).is_err());
        assert!(LOCAL.check_url(&url("http://[fe80::1]/")).is_err());
        assert!(STRICT.check_url(&url("ftp://example.com/")).is_err());
        assert!(STRICT.check_url(&url("https://u:p@example.com/")).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_refused_at_connect() {
        let http = client(STRICT);
        let error = http.get("http://localhost:9/").send().await.unwrap_err();
        let reason = refused_reason(&error).expect("the guard's refusal");
        assert!(reason.contains("localhost"), "{reason}");
    }
}
