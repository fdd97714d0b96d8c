//! What was wrong with a server's certificate: the one fact about TLS the
//! core's errors and hints need, with no dependency of its own.

/// What was wrong with a server's certificate, as far as the transport's
/// TLS library says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not signed by a trusted root (a private gateway, TLS inspection).
    UnknownIssuer,
    /// Issued for another host name.
    NotValidForName,
    /// Expired.
    Expired,
    /// Not valid yet.
    NotYetValid,
    /// Revoked.
    Revoked,
    /// Anything else (a protocol error, an unsupported algorithm).
    Other,
}

impl CertificateProblem {
    /// What was wrong, in words, for the error's message; `None` for
    /// [`Other`](Self::Other), where the TLS library's words say it.
    pub fn describe(self) -> Option<&'static str> {
        match self {
            CertificateProblem::UnknownIssuer => {
                Some("the server's certificate is not signed by a trusted root")
            }
            CertificateProblem::NotValidForName => {
                Some("the server's certificate is for another host name")
            }
            CertificateProblem::Expired => Some("the server's certificate has expired"),
            CertificateProblem::NotYetValid => Some("the server's certificate is not valid yet"),
            CertificateProblem::Revoked => Some("the server's certificate was revoked"),
            CertificateProblem::Other => None,
        }
    }
}
