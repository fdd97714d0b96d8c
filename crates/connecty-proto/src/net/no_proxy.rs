//! `NO_PROXY`: the hosts that go around the proxy.

use std::fmt;
use std::net::IpAddr;

/// A `NO_PROXY` list, matched as curl matches it, plus ports and CIDR
/// ranges as Go's `golang.org/x/net/http/httpproxy` matches them.
///
/// Entries are separated by commas or white space and compared without
/// regard to letter case:
///
/// - `*` alone matches every host;
/// - a name matches itself and its subdomains: `example.com`,
///   `.example.com` and `*.example.com` all match `example.com` and
///   `api.example.com`, and none matches `badexample.com` (curl; Go's
///   leading dot would leave out `example.com` itself);
/// - an IP address matches itself; a CIDR range (`10.0.0.0/8`, `fd00::/8`)
///   the addresses in it; IPv6 may be written in brackets (`[::1]`);
/// - `name:port`, `1.2.3.4:port` or `[::1]:port` matches that host on that
///   port only (Go; curl ignores ports).
///
/// A name never matches an IP address nor the other way round: there is no
/// DNS lookup, so `localhost` does not cover `127.0.0.1`. Entries that make
/// no sense (`example.com:http`, `10.0.0.0/33`) are skipped, as curl and Go
/// skip them. Nothing is exempt implicitly: unlike Go, `localhost` and
/// loopback addresses go through the proxy unless listed (curl).
///
/// ```
/// use connecty_proto::net::NoProxy;
///
/// let list = NoProxy::parse("internal.corp, 10.0.0.0/8, gateway:8443");
/// assert!(list.matches("api.internal.corp", 443));
/// assert!(list.matches("10.1.2.3", 80));
/// assert!(list.matches("gateway", 8443));
/// assert!(!list.matches("gateway", 443));
/// assert!(!list.matches("example.com", 443));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
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

impl fmt::Debug for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in &self.entries {
            let host = match &e.pattern {
                Pattern::All => "*".to_string(),
                Pattern::Name(n) => n.clone(),
                Pattern::Net(ip, bits) => format!("{ip}/{bits}"),
            };
            match e.port {
                Some(p) => list.entry(&format_args!("{host} port {p}")),
                None => list.entry(&format_args!("{host}")),
            };
        }
        list.finish()
    }
}

impl NoProxy {
    /// Parses a list; entries that make no sense are skipped.
    pub fn parse(list: &str) -> Self {
        let entries = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .filter_map(Entry::parse)
            .collect();
        Self { entries }
    }

    /// Whether the list holds no usable entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a request to `host` on `port` goes direct. `host` as in a
    /// URI: IPv6 in brackets, a trailing dot allowed.
    pub fn matches(&self, host: &str, port: u16) -> bool {
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
                    if name.is_empty() || name.contains('*') {
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

    /// `(list, host, port, goes direct)`.
    const TABLE: &[(&str, &str, u16, bool)] = &[
        // Names: themselves and their subdomains, any letter case, a
        // trailing dot; never a longer name that merely ends the same.
        ("example.com", "example.com", 443, true),
        ("example.com", "API.Example.com", 443, true),
        ("example.com", "example.com.", 443, true),
        ("example.com", "badexample.com", 443, false),
        ("example.com", "example.com.evil", 443, false),
        // A leading dot or `*.` changes nothing (curl).
        (".internal.corp", "internal.corp", 80, true),
        (".internal.corp", "a.b.internal.corp", 80, true),
        ("*.svc.local", "svc.local", 80, true),
        ("*.svc.local", "db.svc.local", 80, true),
        ("*.svc.local", "local", 80, false),
        // `*` alone: everything.
        ("*", "anything.example", 1, true),
        ("foo, *", "127.0.0.1", 1, true),
        ("", "example.com", 1, false),
        // A `*` elsewhere is not a pattern.
        ("ex*.com", "example.com", 443, false),
        // Separators: commas, spaces, tabs, new lines.
        ("a.example\tb.example\nc.example", "c.example", 443, true),
        // IP addresses and ranges.
        ("127.0.0.1", "127.0.0.1", 80, true),
        ("127.0.0.1", "127.0.0.2", 80, false),
        ("10.0.0.0/8", "10.200.3.4", 80, true),
        ("10.0.0.0/8", "11.0.0.1", 80, false),
        ("0.0.0.0/0", "8.8.8.8", 80, true),
        ("::1", "[::1]", 80, true),
        ("[::1]", "[::1]", 80, true),
        ("::1", "[::2]", 80, false),
        ("fd00::/8", "[fd12::1]", 80, true),
        ("0.0.0.0/0", "[::ffff:8.8.8.8]", 80, true),
        // Malformed ranges are skipped.
        ("[fd00::]/8", "[fd12::1]", 80, false),
        ("192.168.1.0/33", "192.168.1.1", 80, false),
        // Names never match addresses, nor addresses names (no DNS).
        ("localhost", "127.0.0.1", 80, false),
        ("127.0.0.1", "localhost", 80, false),
        // Ports: only that port.
        ("example.com:8443", "example.com", 8443, true),
        ("example.com:8443", "api.example.com", 8443, true),
        ("example.com:8443", "example.com", 443, false),
        ("127.0.0.1:9000", "127.0.0.1", 9000, true),
        ("127.0.0.1:9000", "127.0.0.1", 9001, false),
        ("[::1]:7000", "[::1]", 7000, true),
        ("[::1]:7000", "[::1]", 7001, false),
        // A bad port makes the entry meaningless.
        ("example.com:http", "example.com", 80, false),
        ("[::1]x", "[::1]", 80, false),
        // No implicit exemption for loopback (curl, not Go).
        ("example.com", "localhost", 80, false),
        ("example.com", "127.0.0.1", 80, false),
    ];

    #[test]
    fn matching_table() {
        for &(list, host, port, want) in TABLE {
            assert_eq!(
                NoProxy::parse(list).matches(host, port),
                want,
                "NO_PROXY={list:?} {host}:{port}"
            );
        }
    }

    #[test]
    fn debug_lists_the_entries() {
        let n = NoProxy::parse("Example.com:8443, 10.0.0.0/8, *, junk:x");
        assert_eq!(format!("{n:?}"), "[example.com port 8443, 10.0.0.0/8, *]");
        assert!(NoProxy::parse(" , ").is_empty());
    }
}
