//! A response before encoding, and the errors every endpoint shares.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

use crate::body::{ErrorBody, to_json};

/// A response before encoding.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(header::HeaderName, HeaderValue)>,
    /// A large completed body kept for the next identical request, with its
    /// gzip form made at most once.
    pub(crate) cached: Option<Arc<CachedBody>>,
}

/// A completed body and, once asked for, its gzip form.
#[derive(Debug)]
pub(crate) struct CachedBody {
    pub(crate) plain: Bytes,
    pub(crate) gzip: OnceLock<Bytes>,
}

impl Reply {
    /// `status` with a JSON body.
    pub(crate) fn json(status: StatusCode, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            cached: None,
        }
    }

    /// 200 with `body` as JSON.
    pub(crate) fn ok(body: &impl serde::Serialize) -> Self {
        Self::json(StatusCode::OK, to_json(body))
    }

    /// 200 with a body kept for identical requests.
    pub(crate) fn cached(body: Arc<CachedBody>) -> Self {
        let mut reply = Self::json(StatusCode::OK, Vec::new());
        reply.cached = Some(body);
        reply
    }

    /// `status` with `{"error": message}`.
    pub(crate) fn error(status: StatusCode, message: impl AsRef<str>) -> Self {
        let body = to_json(&ErrorBody {
            error: message.as_ref(),
        });
        Self::json(status, body)
    }

    /// Adds a header.
    pub(crate) fn with(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }
}

/// At most `n` characters of a value echoed in an error.
pub(crate) fn shown(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// 405 naming the one method `path` allows, with `Allow`.
pub(crate) fn method_not_allowed(method: &Method, path: &str, allowed: &'static str) -> Reply {
    Reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{method} is not allowed on {}; use {allowed}",
            shown(path, 200)
        ),
    )
    .with(header::ALLOW, allowed)
}
