//! ureq errors as the core's [`TransportError`]s.
//!
//! The kind decides retries, so it errs on the side of "the request may have
//! been sent": only failures that happen before a byte of the request can
//! leave (DNS, refused or timed-out connects, TLS handshake timeouts, a proxy
//! refusing the tunnel) are [`TransportErrorKind::Connect`]. The words are
//! the core's ([`connecty_proto::net::failure`]), the same as every other
//! transport's; they name the host and the proxy, never a header or a body.

use std::io;
use std::time::Duration;

use connecty_proto::net::{ProxyRoute, failure};
use connecty_proto::{TransportError, TransportErrorKind};
use ureq::Timeout;

use crate::tls::certificate_problem;

/// What was being done when the error happened, for the message.
pub(crate) struct Context<'a> {
    /// `host:port` of the request.
    pub authority: &'a str,
    /// The proxy in the way, if any.
    pub proxy: Option<&'a ProxyRoute>,
    /// The connect timeout.
    pub connect_timeout: Duration,
    /// The timeout of the whole request.
    pub timeout: Duration,
    /// The body limit.
    pub body_limit: u64,
}

/// Maps a ureq error to a transport error.
pub(crate) fn map_error(e: ureq::Error, cx: &Context<'_>) -> TransportError {
    let host = cx.authority;
    match e {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            failure::connect_timed_out(host, cx.proxy, cx.connect_timeout)
        }
        ureq::Error::Timeout(_) => failure::timed_out(host, cx.timeout),
        ureq::Error::HostNotFound => failure::host_not_found(host, cx.proxy),
        ureq::Error::ConnectionFailed => {
            failure::connect_failed(host, cx.proxy, "the connection was refused or failed")
        }
        ureq::Error::ConnectProxyFailed(reason) => match cx.proxy {
            Some(route) => failure::proxy_refused(host, route, &reason),
            None => failure::connect_failed(host, None, &reason),
        },
        ureq::Error::Io(io) => map_io(io, cx),
        ureq::Error::BodyExceedsLimit(_) => failure::body_too_large(host, cx.body_limit),
        ureq::Error::Rustls(e) => {
            failure::tls_failed(host, certificate_problem(&e), &e.to_string())
        }
        ureq::Error::Tls(what) => {
            failure::tls_failed(host, connecty_proto::net::CertificateProblem::Other, what)
        }
        ureq::Error::TlsRequired => failure::tls_failed(
            host,
            connecty_proto::net::CertificateProblem::Other,
            "the connection is not encrypted although the URL is https",
        ),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => TransportError::new(
            TransportErrorKind::Redirect,
            format!("{host} answered a redirect, which is never followed"),
        ),
        ureq::Error::Decompress(_, e) => failure::undecodable_body(host, &e.to_string()),
        ureq::Error::Protocol(e) => failure::not_http(host, &e.to_string()),
        ureq::Error::LargeResponseHeader(..) => {
            failure::not_http(host, "the response headers are larger than 64 KiB")
        }
        ureq::Error::BodyStalled => failure::connection_broke(host, "the response body stalled"),
        other => failure::other(host, &other.to_string()),
    }
}

fn map_io(e: io::Error, cx: &Context<'_>) -> TransportError {
    let host = cx.authority;
    // A certificate or handshake error reported through the socket layer.
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return failure::tls_failed(host, certificate_problem(tls), &tls.to_string());
    }
    // A ureq error travelling inside an io::Error (body reading does that).
    if e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
        return map_error(ureq::Error::from(e), cx);
    }
    match e.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::NetworkDown
        | io::ErrorKind::AddrNotAvailable => {
            failure::connect_failed(host, cx.proxy, &e.to_string())
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => failure::timed_out(host, cx.timeout),
        // getaddrinfo failures carry no stable kind; std words them so.
        _ if e.to_string().starts_with("failed to lookup address") => {
            failure::host_not_found(host, cx.proxy)
        }
        _ => failure::connection_broke(host, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context {
            authority: "127.0.0.1:9",
            proxy: None,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            body_limit: 10,
        }
    }

    fn kind(e: ureq::Error) -> TransportErrorKind {
        map_error(e, &cx()).kind
    }

    #[test]
    fn kinds() {
        use TransportErrorKind as K;
        assert_eq!(kind(ureq::Error::Timeout(Timeout::Connect)), K::Connect);
        assert_eq!(kind(ureq::Error::Timeout(Timeout::Resolve)), K::Connect);
        assert_eq!(kind(ureq::Error::Timeout(Timeout::Global)), K::Timeout);
        assert_eq!(kind(ureq::Error::Timeout(Timeout::RecvBody)), K::Timeout);
        assert_eq!(kind(ureq::Error::HostNotFound), K::Connect);
        assert_eq!(
            kind(ureq::Error::ConnectProxyFailed("407".into())),
            K::Connect
        );
        assert_eq!(kind(ureq::Error::BodyExceedsLimit(10)), K::BodyTooLarge);
        assert_eq!(
            kind(ureq::Error::BodyExceedsLimit(10).into_io().into()),
            K::BodyTooLarge
        );
        assert_eq!(
            kind(ureq::Error::Io(io::Error::from(
                io::ErrorKind::ConnectionRefused
            ))),
            K::Connect
        );
        assert_eq!(
            kind(ureq::Error::Io(io::Error::from(
                io::ErrorKind::ConnectionReset
            ))),
            K::Io
        );
        assert_eq!(
            kind(ureq::Error::Io(io::Error::from(
                io::ErrorKind::UnexpectedEof
            ))),
            K::Io
        );
        assert_eq!(
            kind(ureq::Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ))),
            K::Tls
        );
        assert_eq!(kind(ureq::Error::TooManyRedirects), K::Redirect);
        assert_eq!(
            kind(ureq::Error::Decompress(
                "gzip",
                io::Error::from(io::ErrorKind::InvalidData)
            )),
            K::Other
        );
    }

    #[test]
    fn messages_are_the_cores() {
        let e = map_error(ureq::Error::BodyExceedsLimit(10), &cx());
        assert_eq!(e, failure::body_too_large("127.0.0.1:9", 10));
        let e = map_error(
            ureq::Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            )),
            &cx(),
        );
        assert!(e.message.contains("not signed by a trusted root"), "{e}");
        assert_eq!(
            e.certificate,
            Some(connecty_proto::net::CertificateProblem::UnknownIssuer)
        );
    }
}
