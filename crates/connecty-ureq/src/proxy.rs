//! Which proxy a request goes through: none, the one the caller gave, or
//! the environment's, read as curl reads it.
//!
//! ureq 3's own `Proxy::try_from_env()` is not used: it takes `ALL_PROXY`
//! before the scheme's variable, uses one proxy for http and https alike,
//! and its `NO_PROXY` matches `example.com` only exactly (curl also matches
//! its subdomains) and knows no IP ranges or ports. Here:
//!
//! - an `https://` URL uses `https_proxy`, then `HTTPS_PROXY`, then
//!   `all_proxy`, then `ALL_PROXY`;
//! - an `http://` URL uses `http_proxy`, then `HTTP_PROXY` (curl ignores the
//!   upper-case one; it is read here as most clients do, except in a CGI
//!   process, where `REQUEST_METHOD` is set and a request header could have
//!   set it: "httpoxy"), then `all_proxy`, then `ALL_PROXY`;
//! - `no_proxy`, then `NO_PROXY`, lists hosts that go direct (see
//!   [`NoProxy`]).
//!
//! Empty variables count as unset. The environment is read once, when the
//! transport is built.

use std::net::IpAddr;

use connecty_proto::{InvalidInput, ProxySetting};
use ureq::Proxy;

/// The proxy rule of a transport.
#[derive(Clone)]
pub(crate) enum ProxyRule {
    /// Always direct.
    Disabled,
    /// Always through this proxy.
    Fixed(Proxy),
    /// As the environment said when the transport was built.
    Env(Box<EnvProxies>),
}

/// The proxies the environment names, parsed.
#[derive(Clone)]
pub(crate) struct EnvProxies {
    http: Option<Proxy>,
    https: Option<Proxy>,
    all: Option<Proxy>,
    no_proxy: NoProxy,
}

impl ProxyRule {
    /// The rule for `setting`, reading variables through `lookup`.
    pub(crate) fn new(
        setting: &ProxySetting,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InvalidInput> {
        match setting {
            ProxySetting::Disabled => Ok(ProxyRule::Disabled),
            ProxySetting::Url(url) => Ok(ProxyRule::Fixed(parse_proxy("proxy", url)?)),
            // FromEnv, and whatever a later version adds: the default.
            _ => Ok(ProxyRule::Env(Box::new(EnvProxies::new(lookup)?))),
        }
    }

    /// The proxy for a request to `uri`, or `None` to go direct.
    pub(crate) fn proxy_for(&self, uri: &http::Uri) -> Option<Proxy> {
        match self {
            ProxyRule::Disabled => None,
            ProxyRule::Fixed(p) => Some(p.clone()),
            ProxyRule::Env(env) => env.proxy_for(uri),
        }
    }

    /// A short description without the proxy URL (it may hold a password).
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            ProxyRule::Disabled => "disabled",
            ProxyRule::Fixed(_) => "fixed",
            ProxyRule::Env(_) => "from environment",
        }
    }
}

/// The first variable of `names` that is set and not blank: its name and
/// value.
fn first_set(
    lookup: &impl Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names.iter().find_map(|&n| {
        lookup(n)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (n, v.trim().to_string()))
    })
}

fn parse_proxy(field: &'static str, url: &str) -> Result<Proxy, InvalidInput> {
    // Never echo the URL: it may carry a password.
    Proxy::new(url.trim()).map_err(|_| {
        InvalidInput::new(
            field,
            "is not a proxy URL: expected http://host:port, https://host:port or socks5://host:port",
        )
    })
}

impl EnvProxies {
    fn new(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InvalidInput> {
        let parse = |found: Option<(&'static str, String)>| -> Result<Option<Proxy>, InvalidInput> {
            found.map(|(name, v)| parse_proxy(name, &v)).transpose()
        };
        let cgi = lookup("REQUEST_METHOD").is_some();
        let http_names: &[&'static str] = if cgi {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        Ok(Self {
            http: parse(first_set(&lookup, http_names))?,
            https: parse(first_set(&lookup, &["https_proxy", "HTTPS_PROXY"]))?,
            all: parse(first_set(&lookup, &["all_proxy", "ALL_PROXY"]))?,
            no_proxy: first_set(&lookup, &["no_proxy", "NO_PROXY"])
                .map(|(_, v)| NoProxy::parse(&v))
                .unwrap_or_default(),
        })
    }

    fn proxy_for(&self, uri: &http::Uri) -> Option<Proxy> {
        let https = uri.scheme_str() == Some("https");
        let scheme_proxy = if https { &self.https } else { &self.http };
        let proxy = scheme_proxy.as_ref().or(self.all.as_ref())?;
        let host = uri.host()?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if self.no_proxy.matches(host, port) {
            None
        } else {
            Some(proxy.clone())
        }
    }
}

/// A `NO_PROXY` list, matched as curl matches it, plus ports.
///
/// Entries are separated by commas or spaces and compared without case:
///
/// - `*` matches every host;
/// - a name matches itself and its subdomains: `example.com` and
///   `.example.com` (and `*.example.com`) all match `example.com` and
///   `api.example.com`, not `badexample.com`;
/// - an IP address matches itself, a CIDR range (`10.0.0.0/8`, `fd00::/8`)
///   the addresses in it; IPv6 may be written in brackets;
/// - `name:port`, `1.2.3.4:port` or `[::1]:port` matches only that port.
///
/// A name never matches an IP address or the other way round: there is no
/// DNS lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    All,
    Name(String),
    Net(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    pattern: Pattern,
    port: Option<u16>,
}

impl NoProxy {
    /// Parses a list; entries that make no sense are skipped, as curl does.
    pub(crate) fn parse(list: &str) -> Self {
        let entries = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .filter_map(Entry::parse)
            .collect();
        Self { entries }
    }

    /// Whether a request to `host:port` goes direct. `host` as in a URI:
    /// IPv6 in brackets.
    pub(crate) fn matches(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|e| {
            if e.port.is_some_and(|p| p != port) {
                return false;
            }
            match (&e.pattern, ip) {
                (Pattern::All, _) => true,
                (Pattern::Net(net, bits), Some(ip)) => in_network(ip, *net, *bits),
                (Pattern::Name(name), None) => {
                    host == *name
                        || (host.len() > name.len()
                            && host.ends_with(name.as_str())
                            && host.as_bytes()[host.len() - name.len() - 1] == b'.')
                }
                _ => false,
            }
        })
    }
}

impl Entry {
    fn parse(token: &str) -> Option<Entry> {
        let token = token.trim();
        if token == "*" {
            return Some(Entry {
                pattern: Pattern::All,
                port: None,
            });
        }
        // Split off a port: `[v6]:port`, `name:port`, `v4:port`. A bare IPv6
        // address has several colons and no port.
        let (host, port) = if let Some(rest) = token.strip_prefix('[') {
            let (inside, after) = rest.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().ok()?),
                None if after.is_empty() => None,
                None => return None,
            };
            (inside, port)
        } else if token.matches(':').count() == 1 {
            let (h, p) = token.split_once(':')?;
            (h, Some(p.parse::<u16>().ok()?))
        } else {
            (token, None)
        };
        let pattern = match host.split_once('/') {
            Some((addr, bits)) => {
                let addr = addr.parse::<IpAddr>().ok()?;
                let bits = bits.parse::<u8>().ok()?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                if bits > max {
                    return None;
                }
                Pattern::Net(addr, bits)
            }
            None => match host.parse::<IpAddr>() {
                Ok(ip) => Pattern::Net(ip, if ip.is_ipv4() { 32 } else { 128 }),
                Err(_) => {
                    let name = host.strip_prefix('*').unwrap_or(host);
                    let name = name.trim_start_matches('.');
                    let name = name.strip_suffix('.').unwrap_or(name);
                    if name.is_empty() {
                        return None;
                    }
                    Pattern::Name(name.to_ascii_lowercase())
                }
            },
        };
        Some(Entry { pattern, port })
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        // An IPv4-mapped IPv6 address against an IPv4 range.
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_network(IpAddr::V4(v4), net, bits)),
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    fn proxy_host(rule: &ProxyRule, u: &str) -> Option<String> {
        rule.proxy_for(&uri(u))
            .map(|p| format!("{}:{}", p.host(), p.port()))
    }

    #[test]
    fn no_proxy_names_match_themselves_and_subdomains() {
        let n = NoProxy::parse("example.com, .internal.corp *.svc.local");
        assert!(n.matches("example.com", 443));
        assert!(n.matches("API.Example.com", 443));
        assert!(n.matches("example.com.", 443));
        assert!(!n.matches("badexample.com", 443));
        assert!(!n.matches("example.com.evil", 443));
        assert!(n.matches("internal.corp", 80));
        assert!(n.matches("a.b.internal.corp", 80));
        assert!(n.matches("db.svc.local", 80));
        assert!(n.matches("svc.local", 80));
        assert!(!n.matches("local", 80));
    }

    #[test]
    fn no_proxy_star_matches_everything() {
        assert!(NoProxy::parse("*").matches("anything.example", 1));
        assert!(NoProxy::parse("foo,*").matches("127.0.0.1", 1));
        assert!(!NoProxy::parse("").matches("example.com", 1));
    }

    #[test]
    fn no_proxy_ips_and_ranges() {
        let n = NoProxy::parse("127.0.0.1,10.0.0.0/8,::1,[fd00::]/8,192.168.1.0/33");
        assert!(n.matches("127.0.0.1", 80));
        assert!(!n.matches("127.0.0.2", 80));
        assert!(n.matches("10.200.3.4", 80));
        assert!(!n.matches("11.0.0.1", 80));
        assert!(n.matches("[::1]", 80));
        assert!(!n.matches("[::2]", 80));
        // "[fd00::]/8" is malformed (range outside the brackets): skipped.
        assert!(!n.matches("[fd12::1]", 80));
        // /33 is not an IPv4 range: skipped.
        assert!(!n.matches("192.168.1.1", 80));
        let n = NoProxy::parse("fd00::/8,0.0.0.0/0");
        assert!(n.matches("[fd12::1]", 80));
        assert!(n.matches("8.8.8.8", 80));
        assert!(n.matches("[::ffff:8.8.8.8]", 80));
        // Names never match addresses.
        assert!(!NoProxy::parse("localhost").matches("127.0.0.1", 80));
        assert!(!NoProxy::parse("127.0.0.1").matches("localhost", 80));
    }

    #[test]
    fn no_proxy_ports() {
        let n = NoProxy::parse("example.com:8443,127.0.0.1:9000,[::1]:7000");
        assert!(n.matches("example.com", 8443));
        assert!(n.matches("api.example.com", 8443));
        assert!(!n.matches("example.com", 443));
        assert!(n.matches("127.0.0.1", 9000));
        assert!(!n.matches("127.0.0.1", 9001));
        assert!(n.matches("[::1]", 7000));
        assert!(!n.matches("[::1]", 7001));
        // A bad port makes the entry meaningless.
        assert!(!NoProxy::parse("example.com:http").matches("example.com", 80));
    }

    #[test]
    fn env_picks_the_scheme_variable_before_all_proxy() {
        let rule = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[
                ("HTTPS_PROXY", "http://secure-proxy:3128"),
                ("http_proxy", "plain-proxy:8080"),
                ("ALL_PROXY", "http://all-proxy:1080"),
            ]),
        )
        .unwrap();
        assert_eq!(
            proxy_host(&rule, "https://api.eu1.connecty-ai.com/v1/health").as_deref(),
            Some("secure-proxy:3128")
        );
        assert_eq!(
            proxy_host(&rule, "http://gateway/v1/health").as_deref(),
            Some("plain-proxy:8080")
        );
        let rule = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[("all_proxy", "http://all-proxy:1080")]),
        )
        .unwrap();
        assert_eq!(
            proxy_host(&rule, "https://x/").as_deref(),
            Some("all-proxy:1080")
        );
        assert_eq!(
            proxy_host(&rule, "http://x/").as_deref(),
            Some("all-proxy:1080")
        );
    }

    #[test]
    fn env_lower_case_wins_and_blank_is_unset() {
        let rule = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[
                ("https_proxy", "http://lower:1"),
                ("HTTPS_PROXY", "http://upper:2"),
                ("http_proxy", "  "),
                ("HTTP_PROXY", "http://upper-http:3"),
            ]),
        )
        .unwrap();
        assert_eq!(proxy_host(&rule, "https://x/").as_deref(), Some("lower:1"));
        assert_eq!(
            proxy_host(&rule, "http://x/").as_deref(),
            Some("upper-http:3")
        );
    }

    #[test]
    fn env_upper_case_http_proxy_is_ignored_in_cgi() {
        let rule = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[
                ("HTTP_PROXY", "http://injected:1"),
                ("REQUEST_METHOD", "GET"),
            ]),
        )
        .unwrap();
        assert_eq!(proxy_host(&rule, "http://x/"), None);
    }

    #[test]
    fn env_no_proxy_bypasses() {
        let rule = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[
                ("HTTPS_PROXY", "http://p:3128"),
                ("NO_PROXY", ".connecty-ai.com,localhost"),
            ]),
        )
        .unwrap();
        assert_eq!(proxy_host(&rule, "https://api.eu1.connecty-ai.com/"), None);
        assert_eq!(proxy_host(&rule, "https://localhost:8443/"), None);
        assert_eq!(
            proxy_host(&rule, "https://gateway.example/").as_deref(),
            Some("p:3128")
        );
    }

    #[test]
    fn explicit_settings() {
        let lookup = env(&[("HTTPS_PROXY", "http://p:3128")]);
        let rule = ProxyRule::new(&ProxySetting::Disabled, &lookup).unwrap();
        assert_eq!(proxy_host(&rule, "https://x/"), None);
        let rule = ProxyRule::new(&ProxySetting::Url("http://mine:9".into()), &lookup).unwrap();
        assert_eq!(proxy_host(&rule, "https://x/").as_deref(), Some("mine:9"));
        assert_eq!(proxy_host(&rule, "http://x/").as_deref(), Some("mine:9"));
    }

    #[test]
    fn bad_proxy_urls_name_the_variable_and_hide_the_value() {
        let e = ProxyRule::new(
            &ProxySetting::FromEnv,
            env(&[("HTTPS_PROXY", "ftp://user:hunter2@p:21")]),
        )
        .err()
        .unwrap();
        assert_eq!(e.field, "HTTPS_PROXY");
        assert!(!e.to_string().contains("hunter2"));
        let e = ProxyRule::new(
            &ProxySetting::Url("gopher://user:hunter2@p".into()),
            env(&[]),
        )
        .err()
        .unwrap();
        assert_eq!(e.field, "proxy");
        assert!(!e.to_string().contains("hunter2"));
    }
}
