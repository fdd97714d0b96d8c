//! The kind of an [`Error`]: one name per variant, for front-ends that map
//! errors onto their own vocabulary (exit codes, exception classes, batch
//! lines, fixtures) without matching on every variant's fields.

use serde::{Deserialize, Serialize};

use super::Error;

/// Which variant an [`Error`] is, without its data.
///
/// ```
/// use connecty_proto::{Error, ErrorKind, InvalidInput};
/// let e = Error::from(InvalidInput::new("max_rows", "must be at least 1"));
/// assert_eq!(e.kind(), ErrorKind::InvalidInput);
/// assert_eq!(e.kind().as_str(), "invalid_input");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Authentication`].
    Authentication,
    /// [`Error::Forbidden`].
    Forbidden,
    /// [`Error::NotFound`].
    NotFound,
    /// [`Error::RateLimited`].
    RateLimited,
    /// [`Error::Server`].
    Server,
    /// [`Error::Api`].
    Api,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::QuestionFailed`].
    QuestionFailed,
    /// [`Error::Timeout`].
    Timeout,
    /// [`Error::AnswerTooLarge`].
    AnswerTooLarge,
    /// [`Error::Transport`].
    Transport,
    /// [`Error::InvalidInput`].
    InvalidInput,
}

impl ErrorKind {
    /// The kind's name in snake case (`not_found`), as the CLI's batch lines
    /// and the fixtures spell it; serde uses the same names.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Api => "api",
            ErrorKind::Decode => "decode",
            ErrorKind::QuestionFailed => "question_failed",
            ErrorKind::Timeout => "timeout",
            ErrorKind::AnswerTooLarge => "answer_too_large",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidInput => "invalid_input",
        }
    }
}

impl Error {
    /// Which kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Server { .. } => ErrorKind::Server,
            Error::Api { .. } => ErrorKind::Api,
            Error::Decode(_) => ErrorKind::Decode,
            Error::QuestionFailed { .. } => ErrorKind::QuestionFailed,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::AnswerTooLarge { .. } => ErrorKind::AnswerTooLarge,
            Error::Transport(_) => ErrorKind::Transport,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_serdes_names() {
        for kind in [
            ErrorKind::Authentication,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Api,
            ErrorKind::Decode,
            ErrorKind::QuestionFailed,
            ErrorKind::Timeout,
            ErrorKind::AnswerTooLarge,
            ErrorKind::Transport,
            ErrorKind::InvalidInput,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ErrorKind>(&json).unwrap(), kind);
        }
    }
}
