//! connecty's errors as Python exceptions: which class each
//! [`connecty_proto::Error`] becomes ([`describe`], pure and table-tested),
//! and its message and hint as the `connecty` command prints them.
//!
//! The message is the error's own `Display`, and the hint is the core's
//! own rule ([`Error::hint`]) rendered in Python's words ([`Words`]:
//! `timeout=`, `max_rows=`, `client.results(13, "...")`), as the CLI
//! renders it in its flags. No second rule lives here.
//!
//! The classes are defined in Python (`connecty/_errors.py`), where
//! `InvalidInput` can also be a `ValueError`.

use connecty_proto::{Asked, Error, Hint, Knob, QuestionId, Vocabulary, WorkspaceId};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A Python exception to raise, boxed (it travels in `Result`s).
pub(crate) type Raise = Box<Exception>;

/// A Python exception: its class (in `connecty._errors`) and the keyword
/// arguments of its constructor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exception {
    /// The class name, such as `QuestionFailed`.
    pub class: &'static str,
    /// What happened.
    pub message: String,
    /// `hint: ...`, or a line saying how to resume.
    pub hint: Option<String>,
    /// `QuestionFailed` and `DeadlineExceeded`: the question.
    pub question_id: Option<String>,
    /// `QuestionFailed`: the server's reason.
    pub reason: Option<String>,
    /// `InvalidInput`: the argument at fault.
    pub argument: Option<String>,
}

impl Exception {
    /// An exception of `class` with `message` and nothing else.
    pub fn new(class: &'static str, message: impl Into<String>) -> Raise {
        Box::new(Self {
            class,
            message: message.into(),
            hint: None,
            question_id: None,
            reason: None,
            argument: None,
        })
    }

    /// `InvalidInput` naming `argument`: `max_rows: must be at least 1`.
    pub fn invalid(argument: &str, message: impl std::fmt::Display) -> Raise {
        let mut r = Self::new("InvalidInput", format!("{argument}: {message}"));
        r.argument = Some(argument.to_string());
        r
    }

    /// The Python exception.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self.instance(py) {
            Ok(value) => PyErr::from_value(value),
            Err(e) => e,
        }
    }

    fn instance(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let class = py.import("connecty._errors")?.getattr(self.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("message", self.message)?;
        kwargs.set_item("hint", self.hint)?;
        match self.class {
            "QuestionFailed" => {
                kwargs.set_item("question_id", self.question_id)?;
                kwargs.set_item("reason", self.reason)?;
            }
            "DeadlineExceeded" => kwargs.set_item("question_id", self.question_id)?,
            "InvalidInput" => kwargs.set_item("argument", self.argument)?,
            _ => {}
        }
        class.call((), Some(&kwargs))
    }
}

/// Python's words for the settings a [`Hint`] names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Words {
    /// The base URL the client talks to.
    pub base_url: String,
    /// The workspace of the call, when it has one.
    pub dw: Option<WorkspaceId>,
    /// Where the credentials came from (`the client id and secret came
    /// from CONNECTY_CLIENT_ID`), when they were resolved.
    pub credentials_from: Option<String>,
    /// The error came of `all_rows=True`.
    pub all_rows: bool,
}

impl Vocabulary for Words {
    fn knob(&self, knob: Knob) -> String {
        match knob {
            Knob::Credentials => match &self.credentials_from {
                Some(from) => format!("the client id and secret ({from})"),
                None => "client_id= and client_secret=, the profile (`connecty configure`), or CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET".to_string(),
            },
            Knob::BaseUrl => format!("base_url= or region= (now {})", self.base_url),
            Knob::Workspace => "dw".to_string(),
            Knob::Timeout => "timeout=".to_string(),
            Knob::MaxRows if self.all_rows => "max_rows= (without all_rows=True)".to_string(),
            Knob::MaxRows => "max_rows=".to_string(),
            Knob::RootCertificate => "ca_cert= (or ca_cert in the profile)".to_string(),
            other => other.sdk_name().to_string(),
        }
    }

    fn resume(&self, question_id: QuestionId) -> String {
        match self.dw {
            Some(dw) => format!("resume with client.results({dw}, \"{question_id}\")"),
            None => format!("resume with client.results(dw, \"{question_id}\")"),
        }
    }
}

/// The exception class of `e`.
fn class(e: &Error) -> &'static str {
    match e {
        Error::Authentication { .. } => "AuthError",
        Error::InvalidInput(_) if e.hint() == Some(Hint::SetCredentials) => "AuthError",
        Error::Forbidden { .. } => "ForbiddenError",
        Error::NotFound { .. } => "NotFoundError",
        Error::AnswerTooLarge { .. } => "AnswerTooLarge",
        Error::QuestionFailed { .. } => "QuestionFailed",
        Error::Timeout { .. } => "DeadlineExceeded",
        Error::Transport(_) => "TransportError",
        Error::InvalidInput(_) => "InvalidInput",
        _ => "ConnectyError",
    }
}

/// What `e` raises in Python: its class, the message and hint as the CLI
/// prints them (in Python's words), and the attributes of its class.
pub(crate) fn describe(e: &Error, words: &Words) -> Raise {
    let mut r = Exception::new(class(e), e.to_string());
    let words = Words {
        all_rows: matches!(e, Error::AnswerTooLarge { .. }) && words.all_rows,
        ..words.clone()
    };
    r.hint = e.hint().map(|h| {
        let text = h.render(&words);
        // A resume line reads as an instruction, not as a hint (as the CLI).
        if matches!(h, Hint::Resume { .. }) {
            text
        } else {
            format!("hint: {text}")
        }
    });
    match e {
        Error::QuestionFailed {
            question_id,
            reason,
        } => {
            r.question_id = Some(question_id.to_string());
            r.reason = reason.clone();
        }
        Error::Timeout {
            asked: Asked::Yes(q),
            ..
        } => r.question_id = Some(q.to_string()),
        Error::InvalidInput(i) => r.argument = Some(i.field.to_string()),
        _ => {}
    }
    r
}

/// A settings failure (a profile that does not exist, credentials.toml
/// that others can read, missing credentials).
pub(crate) fn describe_settings(e: &connecty_settings::Error) -> Raise {
    let class = match e.kind {
        connecty_settings::ErrorKind::Authentication => "AuthError",
        _ => "InvalidInput",
    };
    let mut r = Exception::new(class, e.message.clone());
    r.hint = e.hint.as_ref().map(|h| format!("hint: {h}"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{InvalidInput, Resource, State, TransportError, TransportErrorKind};
    use http::StatusCode;
    use std::time::Duration;

    fn words() -> Words {
        Words {
            base_url: "http://127.0.0.1:9".into(),
            dw: Some(WorkspaceId(13)),
            credentials_from: None,
            all_rows: false,
        }
    }

    fn q() -> QuestionId {
        "6f1c2a3b-0000-4000-8000-000000000001".parse().unwrap()
    }

    #[test]
    fn each_error_has_its_class() {
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::Authentication {
                    status: StatusCode::UNAUTHORIZED,
                    message: None,
                },
                "AuthError",
            ),
            (
                Error::Forbidden {
                    resource: Resource::Workspace(WorkspaceId(13)),
                    message: None,
                },
                "ForbiddenError",
            ),
            (
                Error::NotFound {
                    resource: Resource::Workspace(WorkspaceId(13)),
                    message: None,
                },
                "NotFoundError",
            ),
            (
                Error::AnswerTooLarge {
                    question_id: q(),
                    rows_at_least: 10,
                    estimated_bytes: None,
                    body_limit: 1024,
                },
                "AnswerTooLarge",
            ),
            (
                Error::QuestionFailed {
                    question_id: q(),
                    reason: Some("no such table".into()),
                },
                "QuestionFailed",
            ),
            (
                Error::Timeout {
                    asked: Asked::Yes(q()),
                    last_state: Some(State::InProgress),
                    elapsed: Duration::from_secs(1),
                    last_error: None,
                },
                "DeadlineExceeded",
            ),
            (
                Error::Transport(TransportError::new(
                    TransportErrorKind::Connect,
                    "connection refused",
                )),
                "TransportError",
            ),
            (
                Error::InvalidInput(InvalidInput::new("question", "is empty")),
                "InvalidInput",
            ),
            (
                Error::Server {
                    status: StatusCode::BAD_GATEWAY,
                    attempts: 3,
                    message: None,
                },
                "ConnectyError",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(describe(&e, &words()).class, want, "{e:?}");
        }
    }

    #[test]
    fn a_failed_question_carries_its_id_and_reason() {
        let e = Error::QuestionFailed {
            question_id: q(),
            reason: Some("no such table".into()),
        };
        let r = describe(&e, &words());
        assert_eq!(r.question_id.as_deref(), Some(q().to_string().as_str()));
        assert_eq!(r.reason.as_deref(), Some("no such table"));
        assert_eq!(r.message, e.to_string());
    }

    #[test]
    fn a_deadline_names_the_python_call_that_resumes() {
        let e = Error::Timeout {
            asked: Asked::Yes(q()),
            last_state: Some(State::InProgress),
            elapsed: Duration::from_secs(1),
            last_error: None,
        };
        let r = describe(&e, &words());
        assert_eq!(r.question_id, Some(q().to_string()));
        let hint = r.hint.unwrap();
        assert!(
            hint.contains(&format!("client.results(13, \"{}\")", q())),
            "{hint}"
        );
    }

    #[test]
    fn a_deadline_before_asking_has_no_question_id() {
        let e = Error::Timeout {
            asked: Asked::No,
            last_state: None,
            elapsed: Duration::from_secs(1),
            last_error: None,
        };
        let r = describe(&e, &words());
        assert_eq!(r.question_id, None);
        assert!(r.hint.unwrap().contains("timeout="));
    }

    #[test]
    fn invalid_input_names_its_argument() {
        let r = Exception::invalid("max_rows", "must be at least 1, got 0");
        assert_eq!(r.class, "InvalidInput");
        assert_eq!(r.message, "max_rows: must be at least 1, got 0");
        assert_eq!(r.argument.as_deref(), Some("max_rows"));
    }
}
