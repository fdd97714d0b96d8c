//! The words of transport failures, written once for every transport.
//!
//! A transport knows *what* failed (its library's error); these functions
//! say it the same way whichever transport runs, name the host and the
//! proxy in the way, and add what to do about a certificate problem. They
//! never take a header or a body, so no secret can reach a message.
//!
//! ```
//! use std::time::Duration;
//! use connecty_proto::net::failure;
//!
//! let e = failure::connect_timed_out("api.eu1.connecty-ai.com:443", None, Duration::from_secs(5));
//! assert_eq!(
//!     e.to_string(),
//!     "cannot reach api.eu1.connecty-ai.com:443: no connection within the connect timeout of 5000 ms"
//! );
//! ```

use std::time::Duration;

use crate::error::{TransportError, TransportErrorKind as Kind};
use crate::net::ProxyRoute;
use crate::net::certificate::CertificateProblem;

/// `through the proxy host:port (VARIABLE): `, or nothing.
fn via(proxy: Option<&ProxyRoute>) -> String {
    match proxy {
        Some(r) => format!("through the proxy {} ({}): ", r.proxy.authority(), r.source),
        None => String::new(),
    }
}

/// The connection to `target` (`host:port`), or to the proxy in the way,
/// could not be made: refused, unreachable, reset during the handshake.
/// [`Kind::Connect`]: the request never left.
pub fn connect_failed(target: &str, proxy: Option<&ProxyRoute>, detail: &str) -> TransportError {
    unreachable_target(target, format!("{}{detail}", via(proxy)))
}

/// A [`Kind::Connect`] error whose message is what went wrong; `Display`
/// names the target first (`cannot reach TARGET: ...`), and the core
/// replaces the target with the request's origin (`scheme://host:port`).
fn unreachable_target(target: &str, message: String) -> TransportError {
    let mut e = TransportError::new(Kind::Connect, message);
    e.origin = Some(target.to_string());
    e
}

/// A host name did not resolve (the target's, or the proxy's).
pub fn host_not_found(target: &str, proxy: Option<&ProxyRoute>) -> TransportError {
    connect_failed(target, proxy, "the host name was not found (DNS)")
}

/// TCP, the proxy's tunnel and the TLS handshake together took longer than
/// the connect timeout.
pub fn connect_timed_out(
    target: &str,
    proxy: Option<&ProxyRoute>,
    timeout: Duration,
) -> TransportError {
    connect_failed(
        target,
        proxy,
        &format!(
            "no connection within the connect timeout of {} ms",
            timeout.as_millis()
        ),
    )
}

/// The proxy answered the tunnel request (`CONNECT`, SOCKS) with a refusal:
/// `answer` is its status line or reason.
pub fn proxy_refused(target: &str, proxy: &ProxyRoute, answer: &str) -> TransportError {
    unreachable_target(
        target,
        format!(
            "the proxy {} ({}) refused the tunnel: {answer}",
            proxy.proxy.authority(),
            proxy.source
        ),
    )
}

/// TLS with `target` failed; `detail` is the TLS library's words. The
/// message says what was wrong with the certificate; what to do about it
/// is the error's [`hint`](crate::Error::hint), from `problem`.
pub fn tls_failed(target: &str, problem: CertificateProblem, detail: &str) -> TransportError {
    let mut message = format!("TLS with {target} failed: {detail}");
    if let Some(what) = problem.describe() {
        message.push_str(" (");
        message.push_str(what);
        message.push(')');
    }
    let mut e = TransportError::new(Kind::Tls, message);
    e.certificate = Some(problem);
    e
}

/// No complete response within the request's timeout.
pub fn timed_out(target: &str, timeout: Duration) -> TransportError {
    TransportError::new(
        Kind::Timeout,
        format!(
            "no complete response from {target} within the request timeout of {} ms",
            timeout.as_millis()
        ),
    )
}

/// The connection stopped answering, by a timer other than the request's
/// own (the TCP stack's, for one).
pub fn stalled(target: &str, detail: &str) -> TransportError {
    TransportError::new(
        Kind::Timeout,
        format!("{target} stopped answering: {detail}"),
    )
}

/// The connection broke after the request may have been written.
pub fn connection_broke(target: &str, detail: &str) -> TransportError {
    TransportError::new(
        Kind::Io,
        format!("the connection to {target} broke: {detail}"),
    )
}

/// The body (after decoding) is larger than the limit.
pub fn body_too_large(target: &str, limit: u64) -> TransportError {
    TransportError::new(
        Kind::BodyTooLarge,
        format!(
            "the response body from {target} is larger than the body limit of {limit} bytes (Settings::body_limit)"
        ),
    )
}

/// The body could not be decoded (corrupt gzip, an unknown
/// `Content-Encoding`).
pub fn undecodable_body(target: &str, detail: &str) -> TransportError {
    TransportError::new(
        Kind::Other,
        format!("the response body from {target} could not be decoded: {detail}"),
    )
}

/// The answer was not HTTP the transport could read.
pub fn not_http(target: &str, detail: &str) -> TransportError {
    TransportError::new(
        Kind::Other,
        format!("{target} answered something that is not valid HTTP: {detail}"),
    )
}

/// Anything else.
pub fn other(target: &str, detail: &str) -> TransportError {
    TransportError::new(
        Kind::Other,
        format!("the request to {target} failed: {detail}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProxySetting;
    use crate::net::{ProxyDecision, ProxyEnv, ProxyRules};

    fn route() -> ProxyRoute {
        let env = ProxyEnv::new().with("HTTPS_PROXY", "http://user:hunter2@proxy.corp:3128");
        let rules = ProxyRules::new(&ProxySetting::Vars(env), |_| None).unwrap();
        match rules
            .route(&"https://api.example/".parse().unwrap())
            .unwrap()
        {
            ProxyDecision::Proxy(r) => r,
            ProxyDecision::Direct => unreachable!(),
        }
    }

    #[test]
    fn messages_table() {
        let r = route();
        let ms = Duration::from_millis(1500);
        let table: Vec<(TransportError, Kind, &str)> = vec![
            (
                connect_failed("h:443", None, "refused"),
                Kind::Connect,
                "refused",
            ),
            (
                connect_failed("h:443", Some(&r), "refused"),
                Kind::Connect,
                "through the proxy proxy.corp:3128 (HTTPS_PROXY): refused",
            ),
            (
                host_not_found("h:443", None),
                Kind::Connect,
                "the host name was not found (DNS)",
            ),
            (
                connect_timed_out("h:443", None, ms),
                Kind::Connect,
                "no connection within the connect timeout of 1500 ms",
            ),
            (
                proxy_refused("h:443", &r, "403 Forbidden"),
                Kind::Connect,
                "the proxy proxy.corp:3128 (HTTPS_PROXY) refused the tunnel: 403 Forbidden",
            ),
            (
                tls_failed("h:443", CertificateProblem::Other, "bad record"),
                Kind::Tls,
                "TLS with h:443 failed: bad record",
            ),
            (
                tls_failed(
                    "h:443",
                    CertificateProblem::NotValidForName,
                    "NotValidForName",
                ),
                Kind::Tls,
                "TLS with h:443 failed: NotValidForName (the server's certificate is for another host name)",
            ),
            (
                timed_out("h:443", ms),
                Kind::Timeout,
                "no complete response from h:443 within the request timeout of 1500 ms",
            ),
            (
                connection_broke("h:443", "reset"),
                Kind::Io,
                "the connection to h:443 broke: reset",
            ),
            (
                body_too_large("h:443", 10),
                Kind::BodyTooLarge,
                "the response body from h:443 is larger than the body limit of 10 bytes (Settings::body_limit)",
            ),
            (
                undecodable_body("h:443", "invalid gzip header"),
                Kind::Other,
                "the response body from h:443 could not be decoded: invalid gzip header",
            ),
            (
                not_http("h:443", "bad status line"),
                Kind::Other,
                "h:443 answered something that is not valid HTTP: bad status line",
            ),
            (
                other("h:443", "?"),
                Kind::Other,
                "the request to h:443 failed: ?",
            ),
        ];
        for (e, kind, message) in table {
            assert_eq!((e.kind, e.message.as_str()), (kind, message));
            if kind == Kind::Connect {
                assert!(e.to_string().starts_with("cannot reach h:443: "), "{e}");
            }
            assert!(!e.message.contains("hunter2"));
        }
    }

    #[test]
    fn every_certificate_problem_but_other_has_a_hint() {
        use CertificateProblem::*;
        for p in [
            UnknownIssuer,
            NotValidForName,
            Expired,
            NotYetValid,
            Revoked,
        ] {
            assert!(p.hint().is_some(), "{p:?}");
            assert!(p.describe().is_some(), "{p:?}");
            let e = crate::Error::Transport(tls_failed("h:443", p, "x"));
            assert_eq!(
                e.hint(),
                p.hint(),
                "{p:?}: the error advises from its problem"
            );
        }
        assert!(
            UnknownIssuer
                .hint()
                .unwrap()
                .to_string()
                .contains("add_root_certificate_pem")
        );
        assert_eq!(Other.hint(), None);
        assert_eq!(Other.describe(), None);
    }
}
