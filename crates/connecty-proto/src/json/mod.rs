//! A small validating JSON scanner over bytes.
//!
//! It finds where values start and end without building them, which is what
//! lets the dataframe keep spans into the body instead of a tree of values.
//!
//! It also checks UTF-8, where it can occur: outside strings the grammar
//! allows ASCII only, so any other byte there is already a syntax error,
//! and inside a string the bytes are checked when the string has any byte
//! above 0x7F (found while looking for its end, at no extra cost for ASCII
//! strings). Text the scanner accepts is therefore valid UTF-8, and the
//! body is never checked as a whole in a separate pass.
//!
//! Speed comes from looking at eight bytes at a time inside strings (SWAR on
//! `u64` words, see [`swar::skip_plain`]), which is where most of a results body's
//! bytes are, and from skipping known-valid values with `memchr`
//! ([`spans::value_end`]). No `unsafe`.

mod scanner;
mod spans;
mod swar;
mod unescape;

pub(crate) use self::scanner::Scanner;
pub(crate) use self::spans::{decode_string, text_of, value_end};
pub use self::unescape::Surrogates;
pub(crate) use self::unescape::{decode as decode_str, inner as string_inner, unescape};

/// The deepest nesting accepted inside a response, arrays and objects
/// counted. Deeper input is a decode error, never a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// A scan failure: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub at: usize,
    pub message: &'static str,
}

type Result<T> = std::result::Result<T, ScanError>;

/// The kind of a JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// A number, kept as its exact text.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl ValueKind {
    /// The kind of the value whose text starts with `first`.
    pub(crate) fn of(first: u8) -> ValueKind {
        match first {
            b'n' => ValueKind::Null,
            b't' | b'f' => ValueKind::Bool,
            b'"' => ValueKind::String,
            b'[' => ValueKind::Array,
            b'{' => ValueKind::Object,
            _ => ValueKind::Number,
        }
    }
}
