//! Exit codes of `connecty`, and turning errors into one or two lines on
//! stderr that say what happened and what to do.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use connecty_proto::{Error, QuestionId, Resource, TransportErrorKind, WorkspaceId};

use crate::format::escape_for_line;

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// Any other failure: network, server, not found, unexpected response, or
/// (for `batch`) at least one question that did not complete.
pub const FAILURE: u8 = 1;
/// Usage error: a bad flag or value, an unreadable file (clap's own code).
pub const USAGE: u8 = 2;
/// Authentication failed: the credentials were refused or are not set.
pub const AUTHENTICATION: u8 = 3;
/// The question ended in state `FAILED`; its reason is on stderr.
pub const QUESTION_FAILED: u8 = 4;
/// The deadline (`--timeout`) was reached; the question id is on stderr.
pub const DEADLINE: u8 = 5;
/// Interrupted (Ctrl-C) while waiting; the resume command is on stderr.
pub const INTERRUPTED: u8 = 130;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a value (the client secret, an access token) that must never be
/// printed: [`redact`] replaces it wherever it appears.
pub fn register_secret(secret: &str) {
    // Very short values would blank out ordinary words; the core never
    // prints secrets anyway, this is a second line of defence.
    if secret.len() >= 4 {
        SECRETS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(secret.to_string());
    }
}

/// `text` with every registered secret replaced by `[redacted]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), "[redacted]");
    }
    Cow::Owned(out)
}

/// A failed command: its exit code and what to print on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What happened (printed after `error: `).
    pub message: String,
    /// What to do next, when there is something to say.
    pub hint: Option<String>,
    /// The error kind, as `batch` names it in its `error` objects.
    pub kind: &'static str,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: u8, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            kind,
        }
    }

    /// A failure already reported on stderr: nothing more is printed.
    pub fn silent(code: u8) -> Self {
        Self::new(code, "interrupted", "")
    }

    /// Adds the line saying what to do, as `hint: ...`.
    #[must_use]
    pub fn hint(mut self, hint: impl AsRef<str>) -> Self {
        self.hint = Some(format!("hint: {}", hint.as_ref()));
        self
    }

    /// Adds a second line as it is (such as `resume with: ...`).
    #[must_use]
    pub fn note(mut self, line: impl Into<String>) -> Self {
        self.hint = Some(line.into());
        self
    }

    /// The message as one safe line: secrets redacted, control characters
    /// made visible.
    pub fn message_line(&self) -> String {
        escape_for_line(&redact(&self.message)).into_owned()
    }

    /// Prints the failure on stderr: `error: ...` and maybe a hint line.
    pub fn print(&self) {
        if self.message.is_empty() {
            return;
        }
        eprintln!("error: {}", self.message_line());
        if let Some(h) = &self.hint {
            eprintln!("{}", escape_for_line(&redact(h)));
        }
    }
}

/// What a command was working on, to name it in errors.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The base URL requests went to.
    pub base_url: String,
    /// The workspace, when the command has one.
    pub dw: Option<WorkspaceId>,
    /// Where the credentials came from, said when they are refused.
    pub credentials_from: Option<String>,
}

fn with(message: &Option<String>) -> String {
    match message {
        Some(m) if !m.trim().is_empty() => format!(": {m}"),
        _ => String::new(),
    }
}

fn short_excerpt(s: &str) -> String {
    const MAX: usize = 100;
    let mut cut: String = s.chars().take(MAX).collect();
    if s.chars().count() > MAX {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// The command that resumes waiting on question `q` of workspace `dw`.
pub fn resume_command(dw: Option<WorkspaceId>, q: &QuestionId) -> String {
    match dw {
        Some(dw) => format!("connecty results --dw {dw} {q} --wait"),
        None => format!("connecty results --dw ID {q} --wait"),
    }
}

/// Maps an SDK error to an exit code and one or two lines of advice.
pub fn failure(e: &Error, ctx: &Context) -> Failure {
    let base = &ctx.base_url;
    match e {
        Error::Authentication { status, message } => Failure::new(
            AUTHENTICATION,
            "authentication",
            format!("authentication failed: the server answered {status}{}", with(message)),
        )
        .hint(format!(
            "check the client id and secret ({}), and that {base} is your organisation's region",
            ctx.credentials_from.as_deref().unwrap_or("CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET")
        )),
        Error::Forbidden { .. } => {
            let f = Failure::new(AUTHENTICATION, "forbidden", e.to_string());
            match e.hint() {
                Some(h) => f.hint(h.to_string()),
                None => f,
            }
        }
        Error::NotFound { resource, message } => match resource {
            Resource::Workspace(dw) => Failure::new(
                FAILURE,
                "not_found",
                format!("data workspace {dw} was not found (404){}", with(message)),
            )
            .hint(format!(
                "check --dw (the app shows it under Manager -> Data Environments -> Data Workspaces) and the region ({base})"
            )),
            Resource::Question(dw, q) => Failure::new(
                FAILURE,
                "not_found",
                format!("question {q} was not found in data workspace {dw} (404){}", with(message)),
            )
            .hint("check the question id and --dw: the id is the one `connecty ask --no-wait` printed"),
            _ => Failure::new(
                FAILURE,
                "not_found",
                format!("{base} answered 404 Not Found{}", with(message)),
            )
            .hint("it does not look like the ConnectyAI API: check --base-url / CONNECTY_BASE_URL"),
        },
        Error::RateLimited {
            attempts,
            retry_after,
            message,
        } => {
            let wait = retry_after
                .map(|d| format!(" (the server asked to wait {}s)", d.as_secs().max(1)))
                .unwrap_or_default();
            Failure::new(
                FAILURE,
                "rate_limited",
                format!("rate limited: 429 Too Many Requests after {attempts} attempts{}", with(message)),
            )
            .hint(format!("try again later{wait}; for batch, lower --concurrency"))
        }
        Error::Server {
            status,
            attempts,
            message,
        } => Failure::new(
            FAILURE,
            "server",
            format!("the server failed: {status} after {attempts} attempt(s){}", with(message)),
        )
        .hint("try again later; if it goes on, contact ConnectyAI support"),
        Error::Api { status, message } => Failure::new(
            FAILURE,
            "api",
            format!("the API refused the request: {status}{}", with(message)),
        ),
        Error::Decode(d) => {
            let f = Failure::new(
                FAILURE,
                "decode",
                format!(
                    "the server's answer was not the expected JSON: {} (at {})",
                    d.message, d.path
                ),
            );
            if d.excerpt.is_empty() {
                f.hint(format!("check --base-url ({base})"))
            } else {
                f.note(format!("body starts: {}", short_excerpt(&d.excerpt)))
            }
        }
        Error::QuestionFailed {
            question_id,
            reason,
        } => Failure::new(
            QUESTION_FAILED,
            "question_failed",
            format!(
                "question {question_id} FAILED: {}",
                reason.as_deref().filter(|r| !r.trim().is_empty()).unwrap_or("the server gave no reason")
            ),
        )
        .hint("rephrase the question (or check it in the ConnectyAI app) and ask again"),
        Error::Timeout {
            asked,
            last_state,
            elapsed,
            ..
        } => match &asked.question_id() {
            Some(q) => {
                let state = last_state
                    .as_ref()
                    .map(|s| format!("is still {s}"))
                    .unwrap_or_else(|| "has not answered yet".to_string());
                Failure::new(
                    DEADLINE,
                    "timeout",
                    format!(
                        "deadline reached after {:.1}s: question {q} {state} and goes on server-side",
                        elapsed.as_secs_f64()
                    ),
                )
                .note(format!("resume with: {}", resume_command(ctx.dw, q)))
            }
            None => Failure::new(
                DEADLINE,
                "timeout",
                format!(
                    "deadline reached after {:.1}s, before the question was asked",
                    elapsed.as_secs_f64()
                ),
            )
            .hint(format!(
                "{base} may be unreachable or slow: try `connecty health`, or raise --timeout"
            )),
        },
        Error::Transport(t) => {
            let (what, hint): (String, Cow<'static, str>) = match t.kind {
                TransportErrorKind::Connect => (
                    format!("cannot reach {base}"),
                    "check the network, the proxy (HTTPS_PROXY) and --base-url / --region".into(),
                ),
                TransportErrorKind::Timeout => (
                    format!("the request to {base} timed out"),
                    "the server or the network is slow: try again".into(),
                ),
                TransportErrorKind::Io => (
                    format!("the connection to {base} broke"),
                    "try again".into(),
                ),
                TransportErrorKind::Tls => (
                    format!("TLS with {base} failed"),
                    "for a private gateway, trust its CA with --ca-cert FILE.pem".into(),
                ),
                TransportErrorKind::BodyTooLarge => (
                    "the response was larger than the body limit".to_string(),
                    "ask for fewer rows with --max-rows".into(),
                ),
                TransportErrorKind::Redirect => (
                    format!("{base} answered with a redirect, which is never followed"),
                    "use the URL it redirects to as --base-url".into(),
                ),
                _ => (format!("the request to {base} failed"), "try again".into()),
            };
            let attempts = if t.attempts > 1 {
                format!(" (after {} attempts)", t.attempts)
            } else {
                String::new()
            };
            Failure::new(FAILURE, "transport", format!("{what}: {}{attempts}", t.message))
                .hint(hint)
        }
        Error::InvalidInput(i) => {
            if i.field.contains("CLIENT_") || i.field.starts_with("client_") {
                Failure::new(AUTHENTICATION, "authentication", i.to_string())
                    .hint("export CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET as issued by ConnectyAI support")
            } else {
                Failure::new(USAGE, "invalid_input", i.to_string())
            }
        }
        other => Failure::new(FAILURE, "other", other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{DecodeError, InvalidInput, State, TransportError};
    use http::StatusCode;
    use std::time::Duration;

    fn ctx() -> Context {
        Context {
            base_url: "http://127.0.0.1:9".into(),
            dw: Some(WorkspaceId(13)),
            credentials_from: None,
        }
    }

    const Q: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

    #[test]
    fn codes() {
        let q: QuestionId = Q.parse().unwrap();
        let cases: Vec<(Error, u8, &str)> = vec![
            (
                Error::Authentication {
                    status: StatusCode::UNAUTHORIZED,
                    message: None,
                },
                AUTHENTICATION,
                "authentication",
            ),
            (
                Error::QuestionFailed {
                    question_id: q,
                    reason: Some("no such table".into()),
                },
                QUESTION_FAILED,
                "question_failed",
            ),
            (
                Error::Timeout {
                    asked: connecty_proto::Asked::Yes(q),
                    last_state: Some(State::InProgress),
                    elapsed: Duration::from_millis(200),
                    last_error: None,
                },
                DEADLINE,
                "timeout",
            ),
            (
                Error::Transport(TransportError::new(TransportErrorKind::Connect, "refused")),
                FAILURE,
                "transport",
            ),
            (
                Error::Forbidden {
                    resource: Resource::Workspace(WorkspaceId(13)),
                    message: None,
                },
                AUTHENTICATION,
                "forbidden",
            ),
            (
                Error::InvalidInput(InvalidInput::new("max_rows", "must be at least 1")),
                USAGE,
                "invalid_input",
            ),
            (
                Error::InvalidInput(InvalidInput::new("CONNECTY_CLIENT_ID", "is not set")),
                AUTHENTICATION,
                "authentication",
            ),
        ];
        for (e, code, kind) in cases {
            let f = failure(&e, &ctx());
            assert_eq!((f.code, f.kind), (code, kind), "{e}");
        }
    }

    #[test]
    fn deadline_names_the_resume_command() {
        let q: QuestionId = Q.parse().unwrap();
        let f = failure(
            &Error::Timeout {
                asked: connecty_proto::Asked::Yes(q),
                last_state: Some(State::InProgress),
                elapsed: Duration::from_millis(200),
                last_error: None,
            },
            &ctx(),
        );
        assert!(
            f.message.contains(Q) && f.message.contains("IN_PROGRESS"),
            "{f:?}"
        );
        assert_eq!(
            f.hint.as_deref(),
            Some(format!("resume with: connecty results --dw 13 {Q} --wait").as_str())
        );
    }

    #[test]
    fn not_found_names_the_workspace_and_decode_shows_an_excerpt() {
        let f = failure(
            &Error::NotFound {
                resource: Resource::Workspace(WorkspaceId(99)),
                message: None,
            },
            &ctx(),
        );
        assert!(
            f.message.starts_with("data workspace 99 was not found"),
            "{f:?}"
        );
        let f = failure(
            &Error::Decode(DecodeError::new(
                "$",
                "expected JSON but got HTML or XML",
                b"<html>\n<body>oops",
            )),
            &ctx(),
        );
        assert!(f.message.contains("not the expected JSON"), "{f:?}");
        assert_eq!(
            f.hint.as_deref(),
            Some("body starts: \"<html>\\n<body>oops\"")
        );
    }

    #[test]
    fn secrets_are_redacted() {
        register_secret("s3cr3t-for-redaction-test");
        let f = Failure::new(FAILURE, "other", "echo s3cr3t-for-redaction-test\nback");
        assert_eq!(f.message_line(), "echo [redacted]\\nback");
    }
}
