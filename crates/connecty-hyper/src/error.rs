//! Mapping hyper, rustls and I/O errors to [`TransportErrorKind`]s.
//!
//! The words are the core's ([`connecty_proto::net::failure`]), the same as
//! every other transport's; the details come from the errors' own
//! descriptions, which never hold headers or bodies.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use connecty_proto::net::{ProxyRoute, failure};
use connecty_proto::{TransportError, TransportErrorKind};

use crate::body::BodyError;
use crate::connect::ConnectFailure;
use crate::tls::certificate_problem;

/// The longest message kept.
const MESSAGE_LIMIT: usize = 400;

/// Every error in the chain, looking inside `io::Error`s too (their
/// `source()` skips the wrapped error itself).
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        if out.len() >= 16 {
            break;
        }
        out.push(e);
        next = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    out
}

/// The kind of a failed request.
pub(crate) fn kind_of(err: &(dyn StdError + 'static)) -> TransportErrorKind {
    let errors = chain(err);
    let find = |pred: &dyn Fn(&(dyn StdError + 'static)) -> bool| errors.iter().any(|e| pred(*e));
    if find(&|e| e.is::<rustls::Error>()) {
        return TransportErrorKind::Tls;
    }
    if find(&|e| matches!(e.downcast_ref(), Some(ConnectFailure::Rule(_)))) {
        return TransportErrorKind::Other;
    }
    let is_connect = find(&|e| {
        e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(|l| l.is_connect())
            || e.is::<ConnectFailure>()
    });
    if is_connect {
        return TransportErrorKind::Connect;
    }
    let timed_out = find(&|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_timeout())
            || e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    });
    if timed_out {
        return TransportErrorKind::Timeout;
    }
    if find(&|e| e.is::<hyper::Error>() || e.is::<io::Error>()) {
        return TransportErrorKind::Io;
    }
    TransportErrorKind::Other
}

/// The chain's descriptions, joined with `: `, without repeats.
pub(crate) fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let s = e.to_string();
        // hyper-util's "client error (Connect)" says nothing the kind and
        // the next error do not.
        let wrapper = e.is::<hyper_util::client::legacy::Error>() && e.source().is_some();
        if wrapper || s.is_empty() || parts.last().is_some_and(|last| last.contains(&s)) {
            continue;
        }
        parts.push(s);
    }
    let mut message = parts.join(": ");
    if message.len() > MESSAGE_LIMIT {
        let mut cut = MESSAGE_LIMIT;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    message
}

/// A failed request to `authority` (host and port), through `proxy`.
pub(crate) fn request_failed(
    authority: &str,
    proxy: Option<&ProxyRoute>,
    connect_timeout: Duration,
    err: &hyper_util::client::legacy::Error,
) -> TransportError {
    let errors = chain(err);
    let detail = describe(err);
    if let Some(tls) = errors
        .iter()
        .find_map(|e| e.downcast_ref::<rustls::Error>())
    {
        return failure::tls_failed(authority, certificate_problem(tls), &detail);
    }
    match errors
        .iter()
        .find_map(|e| e.downcast_ref::<ConnectFailure>())
    {
        Some(ConnectFailure::TimedOut(_)) => {
            return failure::connect_timed_out(authority, proxy, connect_timeout);
        }
        Some(ConnectFailure::ProxyRefused(why)) => {
            return match proxy {
                Some(route) => failure::proxy_refused(authority, route, why),
                None => failure::connect_failed(authority, None, why),
            };
        }
        Some(ConnectFailure::Rule(why)) => return failure::other(authority, why),
        None => {}
    }
    match kind_of(err) {
        TransportErrorKind::Connect => failure::connect_failed(authority, proxy, &detail),
        TransportErrorKind::Timeout => failure::stalled(authority, &detail),
        TransportErrorKind::Io => failure::connection_broke(authority, &detail),
        _ => failure::other(authority, &detail),
    }
}

/// A body that could not be read.
pub(crate) fn body_failed(authority: &str, limit: u64, err: BodyError) -> TransportError {
    match err {
        BodyError::TooLarge => failure::body_too_large(authority, limit),
        BodyError::UnsupportedEncoding | BodyError::Gzip(_) => {
            failure::undecodable_body(authority, &err.to_string())
        }
        BodyError::Read(e) => match kind_of(&e) {
            TransportErrorKind::Timeout => failure::stalled(authority, &describe(&e)),
            _ => failure::connection_broke(authority, &describe(&e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_inside_io_errors_are_tls() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = io::Error::new(io::ErrorKind::InvalidData, tls);
        let outer = io::Error::other(inner);
        assert_eq!(kind_of(&outer), TransportErrorKind::Tls);
        assert!(
            describe(&outer).contains("UnknownIssuer"),
            "{}",
            describe(&outer)
        );
    }

    #[test]
    fn connect_failures_and_io() {
        let e = ConnectFailure::TimedOut(std::time::Duration::from_millis(5));
        assert_eq!(kind_of(&e), TransportErrorKind::Connect);
        let e = io::Error::new(io::ErrorKind::TimedOut, "slow");
        assert_eq!(kind_of(&e), TransportErrorKind::Timeout);
        let e = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(kind_of(&e), TransportErrorKind::Io);
        let e = ConnectFailure::Rule("HTTPS_PROXY has an unsupported scheme".into());
        assert_eq!(kind_of(&e), TransportErrorKind::Other);
    }

    #[test]
    fn messages_are_bounded_and_not_repeated() {
        let inner = io::Error::other("x".repeat(1000));
        let m = describe(&inner);
        assert!(m.len() <= MESSAGE_LIMIT + 3);
        let e = io::Error::other(io::Error::other("once"));
        assert_eq!(describe(&e), "once");
    }
}
