//! The failures an [`Error`](super::Error) wraps, raised by the modules
//! below it (identifiers, the results parser, the network rules): they
//! depend on nothing but the message helpers and the certificate problem,
//! so those modules import them without importing `Error`.

use std::fmt;

use crate::message::excerpt;
use crate::net::certificate::CertificateProblem;

/// A 2xx body that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// JSON path of the offending value, such as `$.results.dataframe[3]`.
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// The start of the body (at most [`EXCERPT_LIMIT`](crate::EXCERPT_LIMIT) bytes, cut on a
    /// character boundary).
    pub excerpt: String,
}

impl DecodeError {
    /// A decode error at `path` over `body`.
    pub fn new(path: impl Into<String>, message: impl Into<String>, body: &[u8]) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            excerpt: excerpt(body),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected response at {}: {}", self.path, self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, " (body starts: {:?})", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// How a transport failed. Retry decisions look only at this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (DNS, refused, connect timeout,
    /// proxy refused). The request certainly never reached the server.
    Connect,
    /// The request or its response took longer than its timeout; the server
    /// may have received it.
    Timeout,
    /// The connection broke after the request may have been written.
    Io,
    /// TLS failed: an untrusted certificate, a wrong host name, a protocol
    /// error. Not retried.
    Tls,
    /// The response body was larger than the configured limit. Not retried.
    BodyTooLarge,
    /// A redirect was answered; redirects are never followed.
    Redirect,
    /// Anything else, such as an invalid gzip body.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connect failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Io => "connection broke",
            TransportErrorKind::Tls => "TLS failed",
            TransportErrorKind::BodyTooLarge => "response body too large",
            TransportErrorKind::Redirect => "redirect refused",
            TransportErrorKind::Other => "transport failed",
        })
    }
}

/// A transport failure: its kind and a message without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure, for retry decisions.
    pub kind: TransportErrorKind,
    /// A description for humans. Transports never put headers or bodies
    /// here.
    pub message: String,
    /// Requests made, the first included, when the core gave up.
    pub attempts: u32,
    /// Where the request went: the core sets the request's origin
    /// (`scheme://host[:port]`); a transport may set `host:port` first.
    /// A [`TransportErrorKind::Connect`] error displays as `cannot reach
    /// ORIGIN: MESSAGE`.
    pub origin: Option<String>,
    /// What was wrong with the server's certificate, when a
    /// [`TransportErrorKind::Tls`] failure says
    /// ([`tls_failed`](crate::net::failure::tls_failed) sets it);
    /// [`Error::hint`](crate::Error::hint) advises from it.
    pub certificate: Option<CertificateProblem>,
}

impl TransportError {
    /// A new transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            attempts: 1,
            origin: None,
            certificate: None,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.origin, self.kind) {
            (Some(o), TransportErrorKind::Connect) => {
                write!(f, "cannot reach {o}: {}", self.message)?
            }
            _ => write!(f, "{}: {}", self.kind, self.message)?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// Caller input refused before any request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// Which input: `question`, `max_rows`, `base_url`, `client_id`, ...
    pub field: &'static str,
    /// What is wrong with it. Never contains a secret.
    pub message: String,
}

impl InvalidInput {
    /// A new invalid-input error.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.message)
    }
}

impl std::error::Error for InvalidInput {}
