//! The one failure type of this crate: what went wrong, in words a person
//! can act on, and what to do next.

use std::fmt;

/// What kind of problem an [`Error`] is, so a front-end can map it to its
/// own codes (the CLI: exit 2 or exit 3) without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value, a file or a name is wrong or unreadable: a profile that
    /// does not exist, a key that is not known, a file that is not TOML, an
    /// environment variable that does not parse.
    Invalid,
    /// The credentials cannot be used: none are set, one is malformed, or
    /// credentials.toml can be read by other users.
    Authentication,
}

/// A setting that cannot be resolved, a profile file that cannot be read
/// or edited.
///
/// The message never holds a secret nor quotes credentials.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// What happened, as one sentence.
    pub message: String,
    /// What to do next, when there is something to say (without a
    /// `hint:` prefix: the front-end words that).
    pub hint: Option<String>,
}

impl Error {
    /// An [`ErrorKind::Invalid`] error.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            message: message.into(),
            hint: None,
        }
    }

    /// An [`ErrorKind::Authentication`] error.
    pub(crate) fn authentication(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Authentication,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do next.
    #[must_use]
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
