//! Errors of the core, in words a caller can act on.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::ids::{QuestionId, WorkspaceId};
use crate::results::State;

mod kind;
mod wrapped;
pub use kind::ErrorKind;
pub use wrapped::{DecodeError, InvalidInput, TransportError, TransportErrorKind};

pub(crate) use crate::message::message_field;
use crate::message::unrepeated;
pub use crate::message::{EXCERPT_LIMIT, excerpt, server_message};

/// Everything that can go wrong in an operation.
///
/// `Display` says what happened, once, with the server's own message when
/// it adds something; [`Error::hint`] says what the caller can do next.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The credentials were refused (401/403 on the token exchange), or an
    /// authenticated call still got 401 after one fresh token. Check
    /// `CONNECTY_CLIENT_ID` / `CONNECTY_CLIENT_SECRET`.
    Authentication {
        /// The HTTP status the server answered with.
        status: StatusCode,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// The credentials are valid but may not do this (403 on ask or
    /// results): typically the client may not use this data workspace.
    Forbidden {
        /// What was refused: the workspace asked, or the question read.
        resource: Resource,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// The workspace or question does not exist (404).
    NotFound {
        /// What was not found.
        resource: Resource,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// The server kept answering 429 until the retries ran out.
    RateLimited {
        /// Requests made, the first included.
        attempts: u32,
        /// The `Retry-After` of the last 429, as the server asked (the wait
        /// itself was clamped to the retry cap and the deadline).
        retry_after: Option<Duration>,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// The server kept answering 5xx until the retries ran out, or answered a
    /// 5xx that is not retried (for example 502/504 to `POST /questions`).
    Server {
        /// The last status.
        status: StatusCode,
        /// Requests made, the first included.
        attempts: u32,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// Any other non-2xx answer, with the server's message.
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The server's own message, if it sent one.
        message: Option<String>,
    },
    /// A 2xx body that is not what the API reference describes.
    Decode(DecodeError),
    /// The question ended in state `FAILED`.
    QuestionFailed {
        /// The question that failed.
        question_id: QuestionId,
        /// The server's reason, when it gave one.
        reason: Option<String>,
    },
    /// The overall deadline was reached. [`Asked`] says where the question
    /// stood: with [`Asked::Yes`] it goes on server-side and waiting on its
    /// id again resumes it; with [`Asked::No`] there is nothing to resume.
    Timeout {
        /// How far the question got.
        asked: Asked,
        /// The last state seen, when a poll had answered.
        last_state: Option<State>,
        /// How long the operation ran.
        elapsed: Duration,
        /// The failure that was being retried when the deadline struck
        /// (a connect failure, a 503, a 429...), so a dead host reads
        /// "cannot reach ..." and not only "deadline reached". `None` when
        /// the last request had succeeded (a question still in progress)
        /// or none had been answered yet.
        last_error: Option<Box<Error>>,
    },
    /// All rows were asked for ([`WaitOptions::all_rows`](crate::WaitOptions::all_rows)),
    /// but they cannot fit in the body limit: raise it
    /// (`ClientBuilder::body_limit`, `Settings::body_limit`) or ask for
    /// fewer rows. Nothing larger than the limit was fetched.
    AnswerTooLarge {
        /// The question.
        question_id: QuestionId,
        /// The fewest rows the answer has.
        rows_at_least: u64,
        /// The bytes the rows would take, as estimated from those received.
        estimated_bytes: Option<u64>,
        /// The body limit, in bytes.
        body_limit: u64,
    },
    /// The request could not be carried (connect, TLS, I/O, body limit).
    Transport(TransportError),
    /// The caller's input was refused before any request was sent.
    InvalidInput(InvalidInput),
}

/// How far the question of an operation got when it ended early: what an
/// [`Error::Timeout`] leaves to resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Asked {
    /// The call asks no question (health, token).
    NoQuestion,
    /// The question was never sent (the deadline struck during the token
    /// exchange, or while the ask could not connect): there is nothing to
    /// resume, and asking again asks it once.
    No,
    /// The question was sent but no answer came back: the server may have
    /// taken it, under an id we do not know. Asking again may ask it twice.
    Unconfirmed,
    /// The question was asked and has this id. It goes on server-side:
    /// wait on the id to resume.
    Yes(QuestionId),
}

impl Asked {
    /// The question's id, when it is known.
    pub fn question_id(&self) -> Option<QuestionId> {
        match self {
            Asked::Yes(q) => Some(*q),
            _ => None,
        }
    }
}

/// What a [`Error::NotFound`] or [`Error::Forbidden`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resource {
    /// The data workspace of `POST /v1/dw/{dw_id}/questions`.
    Workspace(WorkspaceId),
    /// The question (or its workspace) of a results call.
    Question(WorkspaceId, QuestionId),
    /// Any other path, such as the health or token endpoint behind a wrong
    /// base URL.
    Endpoint,
}

impl Resource {
    /// The workspace, when the resource is in one.
    pub fn workspace(&self) -> Option<WorkspaceId> {
        match self {
            Resource::Workspace(dw) | Resource::Question(dw, _) => Some(*dw),
            Resource::Endpoint => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Workspace(dw) => write!(f, "data workspace {dw}"),
            Resource::Question(dw, q) => write!(f, "question {q} in data workspace {dw}"),
            Resource::Endpoint => f.write_str("the endpoint"),
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Error::InvalidInput(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

fn with_message(f: &mut fmt::Formatter<'_>, message: &Option<String>) -> fmt::Result {
    match message {
        Some(m) => write!(f, ": {m}"),
        None => Ok(()),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Authentication { status, message } => {
                write!(f, "authentication failed ({status})")?;
                with_message(f, message)
            }
            Error::Forbidden { resource, message } => {
                let ours = format!("access to {resource} was refused (403 Forbidden)");
                f.write_str(&ours)?;
                with_message(f, &unrepeated(&ours, message))
            }
            Error::NotFound { resource, message } => {
                let ours = match resource {
                    Resource::Endpoint => {
                        "the endpoint was not found (404): check the base URL".to_string()
                    }
                    r => format!("{r} was not found"),
                };
                f.write_str(&ours)?;
                with_message(f, &unrepeated(&ours, message))
            }
            Error::RateLimited {
                attempts, message, ..
            } => {
                write!(f, "rate limited (429) after {attempts} attempts")?;
                with_message(f, message)
            }
            Error::Server {
                status,
                attempts,
                message,
            } => {
                write!(f, "server error {status} after {attempts} attempt(s)")?;
                with_message(f, message)
            }
            Error::Api { status, message } => {
                write!(f, "the API answered {status}")?;
                with_message(f, message)
            }
            Error::Decode(e) => e.fmt(f),
            Error::QuestionFailed {
                question_id,
                reason,
            } => {
                write!(f, "question {question_id} failed")?;
                with_message(f, reason)
            }
            Error::Timeout {
                asked,
                last_state,
                elapsed,
                last_error,
            } => {
                if let Some(e) = last_error {
                    write!(f, "{e} (")?;
                }
                if *elapsed < Duration::from_secs(10) {
                    write!(f, "deadline reached after {} ms", elapsed.as_millis())?;
                } else {
                    write!(f, "deadline reached after {:.1} s", elapsed.as_secs_f64())?;
                }
                match asked {
                    Asked::Yes(q) => {
                        write!(f, " waiting for question {q}")?;
                        if let Some(s) = last_state {
                            write!(f, " (last state {s})")?;
                        }
                        f.write_str("; it goes on server-side")?;
                    }
                    Asked::No => f.write_str(
                        "; the question was never asked, so there is nothing to resume",
                    )?,
                    Asked::Unconfirmed => f.write_str(
                        "; the question was sent but never confirmed: the server may have taken it, under an unknown id",
                    )?,
                    Asked::NoQuestion => {}
                }
                if last_error.is_some() {
                    f.write_str(")")?;
                }
                Ok(())
            }
            Error::AnswerTooLarge {
                question_id,
                rows_at_least,
                estimated_bytes,
                body_limit,
            } => {
                write!(
                    f,
                    "all rows of question {question_id} do not fit in the body limit of {body_limit} bytes: at least {rows_at_least} rows"
                )?;
                if let Some(b) = estimated_bytes {
                    write!(f, ", about {b} bytes")?;
                }
                // What to do is the hint's (Hint::RaiseBodyLimit), in the
                // front end's words.
                Ok(())
            }
            Error::Transport(e) => e.fmt(f),
            Error::InvalidInput(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::Timeout {
                last_error: Some(e),
                ..
            } => Some(e.as_ref()),
            Error::InvalidInput(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_and_forbidden_read_once() {
        let dw = WorkspaceId(999_999);
        let e = Error::NotFound {
            resource: Resource::Workspace(dw),
            message: Some("data workspace 999999 not found".into()),
        };
        assert_eq!(e.to_string(), "data workspace 999999 was not found");
        let e = Error::Forbidden {
            resource: Resource::Workspace(WorkspaceId(13)),
            message: Some("client may not use workspace 14".into()),
        };
        assert_eq!(
            e.to_string(),
            "access to data workspace 13 was refused (403 Forbidden): client may not use workspace 14"
        );
    }

    #[test]
    fn timeouts_say_what_failed_and_what_is_left_to_resume() {
        let mut connect = TransportError::new(
            TransportErrorKind::Connect,
            "could not connect to 127.0.0.1:9",
        );
        connect.origin = Some("http://127.0.0.1:9".into());
        connect.attempts = 3;
        let e = Error::Timeout {
            asked: Asked::No,
            last_state: None,
            elapsed: Duration::from_millis(1),
            last_error: Some(Box::new(Error::Transport(connect))),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:9: could not connect to 127.0.0.1:9 (after 3 attempts) \
             (deadline reached after 1 ms; the question was never asked, so there is nothing to resume)"
        );
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let e = Error::Timeout {
            asked: Asked::Yes(q),
            last_state: Some(State::InProgress),
            elapsed: Duration::from_secs(30),
            last_error: None,
        };
        assert_eq!(
            e.to_string(),
            "deadline reached after 30.0 s waiting for question 729cb7a4-4b06-449e-a3c9-df40f5e570b8 \
             (last state IN_PROGRESS); it goes on server-side"
        );
    }
}
