//! What the user can do next about an [`Error`]: one home for every hint.
//!
//! [`Error::hint`] is a pure function from an error to a [`Hint`]. A hint
//! names the settings it refers to as [`Knob`]s, so each front end words
//! them its own way while the advice itself is written once:
//! [`Hint`]'s `Display` uses the SDK's names (`ClientBuilder::body_limit`,
//! `WaitOptions::timeout`), and [`Hint::render`] takes a [`Vocabulary`]
//! (the CLI's says `--body-limit`, `--timeout` and the full command that
//! resumes a question).
//!
//! ```
//! use connecty_proto::{Error, Knob, QuestionId, Vocabulary};
//!
//! struct Cli;
//! impl Vocabulary for Cli {
//!     fn knob(&self, knob: Knob) -> String {
//!         match knob {
//!             Knob::Timeout => "--timeout".into(),
//!             other => other.sdk_name().into(),
//!         }
//!     }
//!     fn resume(&self, q: QuestionId) -> String {
//!         format!("connecty results --dw 13 {q} --wait")
//!     }
//! }
//!
//! let e = Error::Timeout {
//!     asked: connecty_proto::Asked::No,
//!     last_state: None,
//!     elapsed: std::time::Duration::from_secs(5),
//!     last_error: None,
//! };
//! let hint = e.hint().expect("a timeout has a hint");
//! assert!(hint.to_string().contains("WaitOptions::timeout"));
//! assert!(hint.render(&Cli).contains("--timeout"));
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::{Asked, Error, Resource, TransportErrorKind};
use crate::ids::{QuestionId, WorkspaceId};
use crate::net::certificate::CertificateProblem;

/// A setting or input a hint refers to. [`Vocabulary::knob`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Knob {
    /// The client id and secret.
    Credentials,
    /// The region or base URL the client talks to.
    BaseUrl,
    /// The data workspace id of a call.
    Workspace,
    /// The question id of a call.
    QuestionId,
    /// The overall deadline of a wait.
    Timeout,
    /// The most rows a results call asks for.
    MaxRows,
    /// The largest response body the transport accepts.
    BodyLimit,
    /// Extra trusted root certificates.
    RootCertificate,
    /// The proxy settings.
    Proxy,
}

impl Knob {
    /// The SDK's name for the knob, as [`Hint`]'s `Display` writes it.
    pub fn sdk_name(self) -> &'static str {
        match self {
            Knob::Credentials => "CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET",
            Knob::BaseUrl => "the region or base URL (CONNECTY_REGION / CONNECTY_BASE_URL)",
            Knob::Workspace => "the data workspace id",
            Knob::QuestionId => "the question id",
            Knob::Timeout => "the deadline (WaitOptions::timeout)",
            Knob::MaxRows => "max_rows (WaitOptions::max_rows)",
            Knob::BodyLimit => "the body limit (ClientBuilder::body_limit, Settings::body_limit)",
            Knob::RootCertificate => "ClientBuilder::add_root_certificate_pem",
            Knob::Proxy => "the proxy (HTTPS_PROXY, NO_PROXY)",
        }
    }
}

/// How a front end names [`Knob`]s and the way to resume a question. The
/// defaults are the SDK's words.
pub trait Vocabulary {
    /// The name of `knob`, such as `--timeout`.
    fn knob(&self, knob: Knob) -> String {
        knob.sdk_name().to_string()
    }

    /// How to resume waiting on `question_id`, such as a command line.
    fn resume(&self, question_id: QuestionId) -> String {
        format!("wait on question {question_id} again (`wait(dw, question_id, ..)`)")
    }
}

/// The SDK's own [`Vocabulary`], used by [`Hint`]'s `Display`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkVocabulary;

impl Vocabulary for SdkVocabulary {}

/// What the user can do next about an error. See [`Error::hint`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// The credentials are missing: set them.
    SetCredentials,
    /// The credentials were refused: check them and the region.
    CheckCredentials,
    /// The credentials may not use this workspace.
    NotAllowed {
        /// The workspace refused.
        workspace: WorkspaceId,
    },
    /// The workspace does not exist: check its id and the region.
    CheckWorkspace {
        /// The workspace not found.
        workspace: WorkspaceId,
    },
    /// The question does not exist in that workspace.
    CheckQuestion,
    /// The server does not look like the ConnectyAI API.
    CheckBaseUrl,
    /// Rate limited: wait, then try again.
    TryLater {
        /// What the server's last `Retry-After` asked for.
        retry_after: Option<Duration>,
    },
    /// The server failed: try again later, then ask support.
    ServerTrouble,
    /// The question itself failed: rephrase it.
    Rephrase,
    /// The question goes on server-side: resume waiting on it.
    Resume {
        /// The question to wait on.
        question_id: QuestionId,
    },
    /// The deadline struck before the question was asked: nothing to
    /// resume; try again or allow more time.
    RaiseTimeout,
    /// The question may have been taken under an unknown id.
    Unconfirmed,
    /// The server cannot be reached: check the network and the URL.
    CheckNetwork,
    /// A request broke or timed out: try again.
    TryAgain,
    /// The server's certificate is not trusted (or TLS failed for a reason
    /// the TLS library did not name).
    TrustRootCertificate,
    /// The server's certificate is for another host name.
    CheckHostName,
    /// The server's certificate has expired or is not valid yet.
    CheckClock,
    /// The server's certificate was revoked.
    CertificateRevoked,
    /// The answer is larger than the body limit.
    RaiseBodyLimit,
    /// The server answered with a redirect.
    UseRedirectTarget,
}

impl Error {
    /// What the user can do next, when there is something to say. Pure:
    /// the same error always gives the same hint. Render it with
    /// `Display` (the SDK's words) or [`Hint::render`].
    pub fn hint(&self) -> Option<Hint> {
        Some(match self {
            Error::Authentication { .. } => Hint::CheckCredentials,
            Error::Forbidden { resource, .. } => match resource.workspace() {
                Some(workspace) => Hint::NotAllowed { workspace },
                None => Hint::CheckBaseUrl,
            },
            Error::NotFound { resource, .. } => match resource {
                Resource::Workspace(dw) => Hint::CheckWorkspace { workspace: *dw },
                Resource::Question(..) => Hint::CheckQuestion,
                Resource::Endpoint => Hint::CheckBaseUrl,
            },
            Error::RateLimited { retry_after, .. } => Hint::TryLater {
                retry_after: *retry_after,
            },
            Error::Server { .. } => Hint::ServerTrouble,
            Error::Api { .. } => return None,
            Error::Decode(_) => Hint::CheckBaseUrl,
            Error::QuestionFailed { .. } => Hint::Rephrase,
            Error::Timeout {
                asked, last_error, ..
            } => match asked {
                Asked::Yes(q) => Hint::Resume { question_id: *q },
                Asked::Unconfirmed => Hint::Unconfirmed,
                Asked::No | Asked::NoQuestion => {
                    match last_error.as_deref().and_then(Error::hint) {
                        Some(h) if h != Hint::TryAgain => h,
                        _ => Hint::RaiseTimeout,
                    }
                }
            },
            Error::AnswerTooLarge { .. } => Hint::RaiseBodyLimit,
            Error::Transport(t) => match t.kind {
                TransportErrorKind::Connect => Hint::CheckNetwork,
                TransportErrorKind::Tls => t
                    .certificate
                    .and_then(Hint::for_certificate)
                    .unwrap_or(Hint::TrustRootCertificate),
                TransportErrorKind::BodyTooLarge => Hint::RaiseBodyLimit,
                TransportErrorKind::Redirect => Hint::UseRedirectTarget,
                _ => Hint::TryAgain,
            },
            Error::InvalidInput(i) => {
                let field = i.field.to_ascii_lowercase();
                if field.contains("client_id") || field.contains("client_secret") {
                    Hint::SetCredentials
                } else {
                    return None;
                }
            }
        })
    }
}

impl Hint {
    /// What to do about a certificate problem a TLS library reported
    /// ([`CertificateProblem::hint`] is this); `None` for
    /// [`CertificateProblem::Other`].
    pub fn for_certificate(problem: CertificateProblem) -> Option<Hint> {
        Some(match problem {
            CertificateProblem::UnknownIssuer => Hint::TrustRootCertificate,
            CertificateProblem::NotValidForName => Hint::CheckHostName,
            CertificateProblem::Expired | CertificateProblem::NotYetValid => Hint::CheckClock,
            CertificateProblem::Revoked => Hint::CertificateRevoked,
            CertificateProblem::Other => return None,
        })
    }

    /// The hint in `words`.
    pub fn render(&self, words: &dyn Vocabulary) -> String {
        let k = |knob| words.knob(knob);
        match self {
            Hint::SetCredentials => format!(
                "set {} as issued by ConnectyAI support",
                k(Knob::Credentials)
            ),
            Hint::CheckCredentials => format!(
                "check {}, and that {} is your organisation's region",
                k(Knob::Credentials),
                k(Knob::BaseUrl)
            ),
            Hint::NotAllowed { workspace } => format!(
                "these credentials may not use data workspace {workspace}: check {}, or ask your ConnectyAI administrator for access",
                k(Knob::Workspace)
            ),
            Hint::CheckWorkspace { workspace } => format!(
                "check {} ({workspace}; the app lists workspaces under Manager -> Data Environments -> Data Workspaces) and {}",
                k(Knob::Workspace),
                k(Knob::BaseUrl)
            ),
            Hint::CheckQuestion => format!(
                "check {} and {}: the id is the one ask returned, in the same workspace",
                k(Knob::QuestionId),
                k(Knob::Workspace)
            ),
            Hint::CheckBaseUrl => format!(
                "the server does not answer like the ConnectyAI API: check {}",
                k(Knob::BaseUrl)
            ),
            Hint::TryLater { retry_after } => match retry_after {
                Some(d) => format!(
                    "try again later (the server asked to wait {} s)",
                    d.as_secs().max(1)
                ),
                None => "try again later".to_string(),
            },
            Hint::ServerTrouble => {
                "try again later; if it goes on, contact ConnectyAI support".to_string()
            }
            Hint::Rephrase => {
                "rephrase the question (or check it in the ConnectyAI app) and ask again"
                    .to_string()
            }
            Hint::Resume { question_id } => format!("resume with: {}", words.resume(*question_id)),
            Hint::RaiseTimeout => format!(
                "the question was never asked, so it is safe to ask again; the server may be slow or unreachable: raise {}",
                k(Knob::Timeout)
            ),
            Hint::Unconfirmed => format!(
                "the server may have taken the question without its id reaching us: asking again may ask it twice; raise {}",
                k(Knob::Timeout)
            ),
            Hint::CheckNetwork => format!(
                "check the network, {} and {}",
                k(Knob::Proxy),
                k(Knob::BaseUrl)
            ),
            Hint::TryAgain => "the server or the network is slow: try again".to_string(),
            Hint::TrustRootCertificate => format!(
                "for a private gateway or a TLS-inspecting proxy, trust its CA certificate with {}",
                k(Knob::RootCertificate)
            ),
            Hint::CheckHostName => format!(
                "the server's certificate names another host: check {}",
                k(Knob::BaseUrl)
            ),
            Hint::CheckClock => {
                "check this machine's clock; if it is right, the server's certificate is out of date: tell the server's operator"
                    .to_string()
            }
            Hint::CertificateRevoked => {
                "the server's certificate was revoked: do not trust this server until its operator replaces it"
                    .to_string()
            }
            Hint::RaiseBodyLimit => format!(
                "ask for fewer rows with {}, or raise {}",
                k(Knob::MaxRows),
                k(Knob::BodyLimit)
            ),
            Hint::UseRedirectTarget => format!(
                "redirects are never followed: use the URL it redirects to as {}",
                k(Knob::BaseUrl)
            ),
        }
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&SdkVocabulary))
    }
}

impl CertificateProblem {
    /// What the user can do about it, when there is something. The advice
    /// lives with every other hint (`connecty-proto/src/hint.rs`): this is
    /// [`Hint::for_certificate`].
    pub fn hint(self) -> Option<Hint> {
        Hint::for_certificate(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{DecodeError, InvalidInput, TransportError};
    use crate::results::State;
    use http::StatusCode;

    const Q: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

    fn transport(kind: TransportErrorKind) -> Error {
        Error::Transport(TransportError::new(kind, "x"))
    }

    fn tls(problem: CertificateProblem) -> Error {
        Error::Transport(crate::net::failure::tls_failed("h:443", problem, "x"))
    }

    fn timeout(asked: Asked, last_error: Option<Error>) -> Error {
        Error::Timeout {
            asked,
            last_state: Some(State::InProgress),
            elapsed: Duration::from_secs(1),
            last_error: last_error.map(Box::new),
        }
    }

    #[test]
    fn every_error_has_its_hint() {
        let q: QuestionId = Q.parse().unwrap();
        let dw = WorkspaceId(13);
        let cases: Vec<(Error, Option<Hint>)> = vec![
            (
                Error::Authentication {
                    status: StatusCode::UNAUTHORIZED,
                    message: None,
                },
                Some(Hint::CheckCredentials),
            ),
            (
                Error::Forbidden {
                    resource: Resource::Question(dw, q),
                    message: None,
                },
                Some(Hint::NotAllowed { workspace: dw }),
            ),
            (
                Error::NotFound {
                    resource: Resource::Workspace(dw),
                    message: None,
                },
                Some(Hint::CheckWorkspace { workspace: dw }),
            ),
            (
                Error::NotFound {
                    resource: Resource::Question(dw, q),
                    message: None,
                },
                Some(Hint::CheckQuestion),
            ),
            (
                Error::NotFound {
                    resource: Resource::Endpoint,
                    message: None,
                },
                Some(Hint::CheckBaseUrl),
            ),
            (
                Error::RateLimited {
                    attempts: 3,
                    retry_after: Some(Duration::from_secs(7)),
                    message: None,
                },
                Some(Hint::TryLater {
                    retry_after: Some(Duration::from_secs(7)),
                }),
            ),
            (
                Error::Server {
                    status: StatusCode::BAD_GATEWAY,
                    attempts: 3,
                    message: None,
                },
                Some(Hint::ServerTrouble),
            ),
            (
                Error::Api {
                    status: StatusCode::BAD_REQUEST,
                    message: None,
                },
                None,
            ),
            (
                Error::Decode(DecodeError::new("$", "html", b"<html>")),
                Some(Hint::CheckBaseUrl),
            ),
            (
                Error::QuestionFailed {
                    question_id: q,
                    reason: None,
                },
                Some(Hint::Rephrase),
            ),
            (
                timeout(Asked::Yes(q), None),
                Some(Hint::Resume { question_id: q }),
            ),
            (timeout(Asked::No, None), Some(Hint::RaiseTimeout)),
            (
                timeout(Asked::No, Some(transport(TransportErrorKind::Connect))),
                Some(Hint::CheckNetwork),
            ),
            (
                timeout(Asked::No, Some(transport(TransportErrorKind::Timeout))),
                Some(Hint::RaiseTimeout),
            ),
            (
                timeout(Asked::Yes(q), Some(transport(TransportErrorKind::Connect))),
                Some(Hint::Resume { question_id: q }),
            ),
            (timeout(Asked::Unconfirmed, None), Some(Hint::Unconfirmed)),
            (
                transport(TransportErrorKind::Connect),
                Some(Hint::CheckNetwork),
            ),
            (transport(TransportErrorKind::Timeout), Some(Hint::TryAgain)),
            (transport(TransportErrorKind::Io), Some(Hint::TryAgain)),
            (
                transport(TransportErrorKind::Tls),
                Some(Hint::TrustRootCertificate),
            ),
            (
                tls(CertificateProblem::Other),
                Some(Hint::TrustRootCertificate),
            ),
            (
                tls(CertificateProblem::UnknownIssuer),
                Some(Hint::TrustRootCertificate),
            ),
            (
                tls(CertificateProblem::NotValidForName),
                Some(Hint::CheckHostName),
            ),
            (tls(CertificateProblem::Expired), Some(Hint::CheckClock)),
            (tls(CertificateProblem::NotYetValid), Some(Hint::CheckClock)),
            (
                tls(CertificateProblem::Revoked),
                Some(Hint::CertificateRevoked),
            ),
            (
                transport(TransportErrorKind::BodyTooLarge),
                Some(Hint::RaiseBodyLimit),
            ),
            (
                transport(TransportErrorKind::Redirect),
                Some(Hint::UseRedirectTarget),
            ),
            (
                Error::InvalidInput(InvalidInput::new("CONNECTY_CLIENT_ID", "is not set")),
                Some(Hint::SetCredentials),
            ),
            (
                Error::InvalidInput(InvalidInput::new("client_secret", "is empty")),
                Some(Hint::SetCredentials),
            ),
            (
                Error::InvalidInput(InvalidInput::new("max_rows", "must be at least 1")),
                None,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.hint(), want, "{e:?}");
        }
    }

    #[test]
    fn hints_read_in_the_sdk_words_or_the_callers() {
        struct Cli;
        impl Vocabulary for Cli {
            fn knob(&self, knob: Knob) -> String {
                match knob {
                    Knob::Workspace => "--dw".into(),
                    Knob::BodyLimit => "--body-limit".into(),
                    Knob::MaxRows => "--max-rows".into(),
                    other => other.sdk_name().into(),
                }
            }
            fn resume(&self, q: QuestionId) -> String {
                format!("connecty results --dw 13 {q} --wait")
            }
        }
        let q: QuestionId = Q.parse().unwrap();
        for (hint, sdk, cli) in [
            (
                Hint::NotAllowed {
                    workspace: WorkspaceId(13),
                },
                "these credentials may not use data workspace 13: check the data workspace id, or ask your ConnectyAI administrator for access",
                "these credentials may not use data workspace 13: check --dw, or ask your ConnectyAI administrator for access",
            ),
            (
                Hint::RaiseBodyLimit,
                "ask for fewer rows with max_rows (WaitOptions::max_rows), or raise the body limit (ClientBuilder::body_limit, Settings::body_limit)",
                "ask for fewer rows with --max-rows, or raise --body-limit",
            ),
            (
                Hint::Resume { question_id: q },
                "resume with: wait on question 729cb7a4-4b06-449e-a3c9-df40f5e570b8 again (`wait(dw, question_id, ..)`)",
                "resume with: connecty results --dw 13 729cb7a4-4b06-449e-a3c9-df40f5e570b8 --wait",
            ),
        ] {
            assert_eq!(hint.to_string(), sdk);
            assert_eq!(hint.render(&Cli), cli);
        }
    }
}
