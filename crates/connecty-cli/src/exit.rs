//! Exit codes of `connecty`, and turning errors into one or two lines on
//! stderr that say what happened and what to do.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use connecty_proto::{Error, ErrorKind, Hint, Knob, QuestionId, Vocabulary, WorkspaceId};

use crate::format::escape_for_line;

/// How `connecty` exits: the codes `connecty --help` lists.
///
/// ```
/// use connecty_cli::exit::ExitStatus;
/// assert_eq!(ExitStatus::QuestionFailed.code(), 4);
/// assert_eq!(u8::from(ExitStatus::Interrupted), 130);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitStatus {
    /// The command did what was asked.
    Success = 0,
    /// Any other failure: network, server, not found, unexpected response,
    /// or (for `batch`) at least one question that did not complete.
    Failure = 1,
    /// Usage error: a bad flag or value, an unreadable file (clap's own
    /// code).
    Usage = 2,
    /// Authentication failed: the credentials were refused or are not set.
    Authentication = 3,
    /// The question ended in state `FAILED`; its reason is on stderr.
    QuestionFailed = 4,
    /// The deadline (`--timeout`) was reached; the question id is on
    /// stderr.
    Deadline = 5,
    /// Interrupted (Ctrl-C) while waiting; the resume command is on stderr.
    Interrupted = 130,
}

impl ExitStatus {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for u8 {
    fn from(status: ExitStatus) -> u8 {
        status.code()
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

/// What kind of failure a [`Failure`] is: it decides the exit code, and
/// `batch` names it in its `error` objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// An SDK error of this kind (a refused or missing credential is
    /// `Authentication`, a bad flag or value `InvalidInput`).
    Sdk(ErrorKind),
    /// Ctrl-C.
    Interrupted,
    /// Anything else.
    Other,
}

impl FailureKind {
    /// The name `batch` prints: the SDK kind's own name, or `interrupted`,
    /// `other`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FailureKind::Sdk(kind) => kind.as_str(),
            FailureKind::Interrupted => "interrupted",
            FailureKind::Other => "other",
        }
    }

    /// The exit code of a failure of this kind.
    pub(crate) fn exit_status(self) -> ExitStatus {
        match self {
            FailureKind::Sdk(ErrorKind::Authentication | ErrorKind::Forbidden) => {
                ExitStatus::Authentication
            }
            FailureKind::Sdk(ErrorKind::QuestionFailed) => ExitStatus::QuestionFailed,
            FailureKind::Sdk(ErrorKind::Timeout) => ExitStatus::Deadline,
            FailureKind::Sdk(ErrorKind::InvalidInput) => ExitStatus::Usage,
            FailureKind::Interrupted => ExitStatus::Interrupted,
            FailureKind::Sdk(_) | FailureKind::Other => ExitStatus::Failure,
        }
    }
}

/// A command's result: how to exit, or what to print and exit with.
pub(crate) type Outcome = Result<ExitStatus, Failure>;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a value (the client secret, an access token) that must never be
/// printed: [`redact`] replaces it wherever it appears.
pub(crate) fn register_secret(secret: &str) {
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
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
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

/// A failed command: its kind (and so its exit code) and what to print on
/// stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// What kind of failure: the exit code, and `batch`'s `kind`.
    pub kind: FailureKind,
    /// What happened (printed after `error: `).
    pub message: String,
    /// What to do next, when there is something to say.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// A usage error (exit 2): a bad value, name or file.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Sdk(ErrorKind::InvalidInput), message)
    }

    /// Any other failure (exit 1).
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Other, message)
    }

    /// Ctrl-C, already reported on stderr: nothing more is printed.
    pub fn interrupted() -> Self {
        Self::new(FailureKind::Interrupted, "")
    }

    /// The exit code.
    pub fn status(&self) -> ExitStatus {
        self.kind.exit_status()
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
pub(crate) struct Context {
    /// The base URL requests went to.
    pub base_url: String,
    /// The workspace, when the command has one.
    pub dw: Option<WorkspaceId>,
    /// Where the credentials came from, said when they are refused.
    pub credentials_from: Option<String>,
    /// The body limit in bytes, said when an answer does not fit.
    pub body_limit: Option<u64>,
}

/// The command that resumes waiting on question `q` of workspace `dw`.
pub(crate) fn resume_command(dw: Option<WorkspaceId>, q: &QuestionId) -> String {
    match dw {
        Some(dw) => format!("connecty results --dw {dw} {q} --wait"),
        None => format!("connecty results --dw ID {q} --wait"),
    }
}

/// The command's words for the settings a [`Hint`](connecty_proto::Hint)
/// names: its flags, where the credentials came from, the resume command.
struct Words<'a> {
    ctx: &'a Context,
    /// The error came of `--all-rows`, under which `--max-rows` limits
    /// nothing.
    all_rows: bool,
}

impl Vocabulary for Words<'_> {
    fn knob(&self, knob: Knob) -> String {
        let ctx = self.ctx;
        match knob {
            Knob::Credentials => match &ctx.credentials_from {
                Some(from) => format!("the client id and secret ({from})"),
                None => "the profile (`connecty configure`) or CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET".to_string(),
            },
            Knob::BaseUrl => format!("--base-url or --region (now {})", ctx.base_url),
            Knob::Workspace => "--dw".to_string(),
            Knob::QuestionId => "the question id".to_string(),
            Knob::Timeout => "--timeout".to_string(),
            Knob::MaxRows if self.all_rows => "--max-rows (without --all-rows)".to_string(),
            Knob::MaxRows => "--max-rows".to_string(),
            Knob::BodyLimit => match ctx.body_limit {
                Some(bytes) => format!("--body-limit MIB (now {})", mib(bytes)),
                None => "--body-limit MIB".to_string(),
            },
            Knob::RootCertificate => "--ca-cert FILE.pem (or ca_cert in the profile)".to_string(),
            Knob::Proxy => "the proxy (HTTPS_PROXY, NO_PROXY)".to_string(),
            other => other.sdk_name().to_string(),
        }
    }

    fn resume(&self, question_id: QuestionId) -> String {
        resume_command(self.ctx.dw, &question_id)
    }
}

/// `bytes` in MiB as `--body-limit` takes them: `256 MiB`, `0.5 MiB`.
fn mib(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.2} MiB", bytes as f64 / MIB as f64)
    }
}

/// The kind of failure an SDK error is.
pub(crate) fn classify(e: &Error) -> FailureKind {
    match e.kind() {
        ErrorKind::InvalidInput if e.hint() == Some(Hint::SetCredentials) => {
            FailureKind::Sdk(ErrorKind::Authentication)
        }
        kind => FailureKind::Sdk(kind),
    }
}

/// An SDK error as the command prints it: the error's own message, and its
/// own hint ([`Error::hint`]) in the command's words.
pub(crate) fn failure(e: &Error, ctx: &Context) -> Failure {
    let f = Failure::new(classify(e), e.to_string());
    match e.hint() {
        Some(h) => {
            let words = Words {
                ctx,
                all_rows: matches!(e, Error::AnswerTooLarge { .. }),
            };
            let text = h.render(&words);
            // A resume command reads as an instruction, not as a hint.
            if matches!(h, Hint::Resume { .. }) {
                f.note(text)
            } else {
                f.hint(text)
            }
        }
        None => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{
        DecodeError, InvalidInput, Resource, State, TransportError, TransportErrorKind,
    };
    use http::StatusCode;
    use std::time::Duration;

    fn ctx() -> Context {
        Context {
            base_url: "http://127.0.0.1:9".into(),
            dw: Some(WorkspaceId(13)),
            credentials_from: None,
            body_limit: Some(256 * 1024 * 1024),
        }
    }

    const Q: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

    #[test]
    fn codes() {
        let q: QuestionId = Q.parse().unwrap();
        let cases: Vec<(Error, ExitStatus, &str)> = vec![
            (
                Error::Authentication {
                    status: StatusCode::UNAUTHORIZED,
                    message: None,
                },
                ExitStatus::Authentication,
                "authentication",
            ),
            (
                Error::QuestionFailed {
                    question_id: q,
                    reason: Some("no such table".into()),
                },
                ExitStatus::QuestionFailed,
                "question_failed",
            ),
            (
                Error::Timeout {
                    asked: connecty_proto::Asked::Yes(q),
                    last_state: Some(State::InProgress),
                    elapsed: Duration::from_millis(200),
                    last_error: None,
                },
                ExitStatus::Deadline,
                "timeout",
            ),
            (
                Error::Transport(TransportError::new(TransportErrorKind::Connect, "refused")),
                ExitStatus::Failure,
                "transport",
            ),
            (
                Error::Forbidden {
                    resource: Resource::Workspace(WorkspaceId(13)),
                    message: None,
                },
                ExitStatus::Authentication,
                "forbidden",
            ),
            (
                Error::InvalidInput(InvalidInput::new("max_rows", "must be at least 1")),
                ExitStatus::Usage,
                "invalid_input",
            ),
            (
                Error::InvalidInput(InvalidInput::new("CONNECTY_CLIENT_ID", "is not set")),
                ExitStatus::Authentication,
                "authentication",
            ),
        ];
        for (e, code, kind) in cases {
            let f = failure(&e, &ctx());
            assert_eq!((f.status(), f.kind.name()), (code, kind), "{e}");
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
        assert!(
            f.message.contains("(body starts: \"<html>\\n<body>oops\")"),
            "{f:?}"
        );
        assert_eq!(
            f.hint.as_deref(),
            Some(
                "hint: the server does not answer like the ConnectyAI API: check --base-url or --region (now http://127.0.0.1:9)"
            )
        );
    }

    #[test]
    fn hints_are_the_errors_own_in_the_commands_words() {
        let mut c = ctx();
        c.credentials_from = Some("the client id and secret came from profile \"ci\"".into());
        let f = failure(
            &Error::Authentication {
                status: StatusCode::UNAUTHORIZED,
                message: None,
            },
            &c,
        );
        assert_eq!(
            f.hint.as_deref(),
            Some(
                "hint: check the client id and secret (the client id and secret came from profile \"ci\"), and that --base-url or --region (now http://127.0.0.1:9) is your organisation's region"
            )
        );
        let f = failure(
            &Error::Forbidden {
                resource: Resource::Workspace(WorkspaceId(13)),
                message: None,
            },
            &c,
        );
        assert_eq!(f.status(), ExitStatus::Authentication);
        assert!(
            f.hint
                .unwrap()
                .contains("may not use data workspace 13: check --dw")
        );
    }

    #[test]
    fn an_answer_too_large_names_the_flags_and_the_limit_in_mib() {
        let q: QuestionId = Q.parse().unwrap();
        let f = failure(
            &Error::AnswerTooLarge {
                question_id: q,
                rows_at_least: 5000,
                estimated_bytes: Some(300 * 1024 * 1024),
                body_limit: 256 * 1024 * 1024,
            },
            &ctx(),
        );
        assert_eq!(
            (f.status(), f.kind.name()),
            (ExitStatus::Failure, "answer_too_large")
        );
        assert!(
            f.message.contains("at least 5000 rows") && !f.message.contains("ClientBuilder"),
            "{f:?}"
        );
        assert_eq!(
            f.hint.as_deref(),
            Some(
                "hint: ask for fewer rows with --max-rows (without --all-rows), or raise --body-limit MIB (now 256 MiB)"
            )
        );
        let f = failure(
            &Error::Transport(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                "too big",
            )),
            &Context {
                body_limit: Some(1536 * 1024),
                ..ctx()
            },
        );
        assert_eq!(
            f.hint.as_deref(),
            Some(
                "hint: ask for fewer rows with --max-rows, or raise --body-limit MIB (now 1.50 MiB)"
            )
        );
    }

    #[test]
    fn secrets_are_redacted() {
        register_secret("s3cr3t-for-redaction-test");
        let f = Failure::other("echo s3cr3t-for-redaction-test\nback");
        assert_eq!(f.message_line(), "echo [redacted]\\nback");
    }
}
