//! ureq errors as the core's [`TransportError`]s.
//!
//! The kind decides retries, so it errs on the side of "the request may have
//! been sent": only failures that happen before a byte of the request can
//! leave (DNS, refused or timed-out connects, TLS handshake timeouts, a proxy
//! refusing the tunnel) are [`TransportErrorKind::Connect`]. Messages name
//! the host and what failed, never a header or a body.

use std::io;

use connecty_proto::{TransportError, TransportErrorKind};
use ureq::Timeout;

/// What was being done when the error happened, for the message.
pub(crate) struct Context<'a> {
    /// `host:port` of the request.
    pub authority: &'a str,
    /// Whether a proxy was in the way.
    pub proxied: bool,
    /// The timeout of the whole request.
    pub timeout: std::time::Duration,
    /// The body limit.
    pub body_limit: u64,
}

/// Maps a ureq error to a transport error.
pub(crate) fn map_error(e: ureq::Error, cx: &Context<'_>) -> TransportError {
    use TransportErrorKind as K;
    let host = cx.authority;
    let via = if cx.proxied {
        " (through the proxy)"
    } else {
        ""
    };
    let (kind, message) = match e {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => (
            K::Connect,
            format!("connecting to {host}{via} took longer than the connect timeout"),
        ),
        ureq::Error::Timeout(t) => (
            K::Timeout,
            format!(
                "no complete answer from {host} within {:?} ({})",
                cx.timeout,
                timeout_phase(t)
            ),
        ),
        ureq::Error::HostNotFound => (K::Connect, format!("the host of {host} was not found")),
        ureq::Error::ConnectionFailed => (K::Connect, format!("could not connect to {host}{via}")),
        ureq::Error::ConnectProxyFailed(reason) => (
            K::Connect,
            format!("the proxy refused the tunnel to {host}: {reason}"),
        ),
        ureq::Error::Io(io) => return map_io(io, cx),
        ureq::Error::BodyExceedsLimit(_) => (
            K::BodyTooLarge,
            format!(
                "the response body from {host} is larger than the {} byte limit (Settings::body_limit)",
                cx.body_limit
            ),
        ),
        ureq::Error::Rustls(e) => (K::Tls, format!("TLS with {host} failed: {e}")),
        ureq::Error::Tls(what) => (K::Tls, format!("TLS with {host} failed: {what}")),
        ureq::Error::Pem(_) => (K::Tls, "a root certificate could not be read".to_string()),
        ureq::Error::TlsRequired => (
            K::Tls,
            format!("the connection to {host} is not encrypted although the URL is https"),
        ),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => (
            K::Redirect,
            format!("{host} answered a redirect, which is never followed"),
        ),
        ureq::Error::Decompress(what, e) => (
            K::Other,
            format!("the {what} response body from {host} could not be decoded: {e}"),
        ),
        ureq::Error::Protocol(e) => (
            K::Other,
            format!("{host} answered something that is not HTTP/1.1: {e}"),
        ),
        ureq::Error::LargeResponseHeader(..) => (
            K::Other,
            format!("the response headers from {host} are larger than 64 KiB"),
        ),
        ureq::Error::BodyStalled => (K::Io, format!("the response body from {host} stalled")),
        ureq::Error::InvalidProxyUrl => (K::Other, "the proxy URL is not valid".to_string()),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => (
            K::Other,
            format!("the request to {host} could not be built"),
        ),
        other => (K::Other, format!("request to {host} failed: {other}")),
    };
    TransportError::new(kind, message)
}

fn timeout_phase(t: Timeout) -> &'static str {
    match t {
        Timeout::SendRequest | Timeout::SendBody | Timeout::PerWrite => "sending the request",
        Timeout::RecvResponse => "waiting for the response headers",
        Timeout::RecvBody | Timeout::PerRead => "reading the response",
        _ => "request timeout",
    }
}

fn map_io(e: io::Error, cx: &Context<'_>) -> TransportError {
    use TransportErrorKind as K;
    let host = cx.authority;
    let via = if cx.proxied {
        " (through the proxy)"
    } else {
        ""
    };
    // A certificate or handshake error reported through the socket layer.
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return TransportError::new(K::Tls, format!("TLS with {host} failed: {tls}"));
    }
    // A ureq error travelling inside an io::Error (body reading does that).
    if e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
        return map_error(ureq::Error::from(e), cx);
    }
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::NetworkDown
        | io::ErrorKind::AddrNotAvailable => K::Connect,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
        // getaddrinfo failures carry no stable kind; std words them so.
        _ if e.to_string().starts_with("failed to lookup address") => K::Connect,
        _ => K::Io,
    };
    let message = match kind {
        K::Connect => format!("could not connect to {host}{via}: {e}"),
        K::Timeout => format!("no complete answer from {host} within {:?}", cx.timeout),
        _ => format!("the connection to {host} broke: {e}"),
    };
    TransportError::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context {
            authority: "127.0.0.1:9",
            proxied: false,
            timeout: std::time::Duration::from_secs(1),
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
    fn messages_name_the_host_and_the_limit() {
        let e = map_error(ureq::Error::BodyExceedsLimit(10), &cx());
        assert!(e.message.contains("127.0.0.1:9"), "{e}");
        assert!(e.message.contains("10 byte limit"), "{e}");
    }
}
