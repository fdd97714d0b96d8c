//! Name resolution without a thread per request for IP literals.
//!
//! ureq 3.5's default resolver spawns a thread for every lookup whenever a
//! resolve or global timeout is set (connecty-ureq always sets both), even
//! for `127.0.0.1` and even when the pool already holds a connection. Under
//! load that thread start dominated a request: `cargo xtask bench` measured
//! connecty-ureq at 20.8x raw ureq over loopback. IP literals need no lookup,
//! so they are answered here; host names still go to ureq's resolver, whose
//! timeout we keep.
//!
//! This uses ureq's `unversioned` API, which may change in any release:
//! Cargo.toml pins ureq to the 3.5 series for that reason.

use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Answers IP literals directly; asks ureq's default resolver otherwise.
#[derive(Debug, Default)]
pub(crate) struct LiteralFirstResolver {
    fallback: DefaultResolver,
}

/// The socket address of a URI whose host is an IP literal.
fn literal(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    let port = authority.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

impl Resolver for LiteralFirstResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal(uri) {
            Some(addr) => {
                let mut out = self.fallback.empty();
                out.push(addr);
                Ok(out)
            }
            None => self.fallback.resolve(uri, config, timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_answered_without_a_lookup() {
        let cases = [
            ("http://127.0.0.1:8080/v1/health", Some("127.0.0.1:8080")),
            ("https://10.1.2.3/v1", Some("10.1.2.3:443")),
            ("http://[::1]:9/x", Some("[::1]:9")),
            ("http://[::1]/x", Some("[::1]:80")),
            ("https://api.eu1.connecty-ai.com/v1", None),
            ("socks5://127.0.0.1", None),
        ];
        for (uri, want) in cases {
            let uri: Uri = uri.parse().unwrap();
            assert_eq!(
                literal(&uri).map(|a| a.to_string()).as_deref(),
                want,
                "{uri}"
            );
        }
    }
}
