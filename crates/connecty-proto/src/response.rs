//! Response parsers and the pure decisions about a response: is it a
//! success, a token problem, worth a retry, or final?

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use crate::error::{DecodeError, Error, Resource, TransportErrorKind, server_message};
use crate::ids::{QuestionId, WorkspaceId};
use crate::request::Endpoint;
use crate::results::{ResultsResponse, not_json_message, parse_results_body};
use crate::secret::AccessToken;

/// What to do about one answer (or transport failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAction {
    /// Not retryable: the answer is final (success or error).
    NoRetry,
    /// Retry after the policy's backoff.
    Retry,
    /// Retry after this long (from `Retry-After`).
    RetryAfter(Duration),
    /// Drop the token, get a fresh one, replay once (401).
    Reauthenticate,
}

/// Classifies an HTTP status for `endpoint`.
///
/// - 2xx: final.
/// - 401 on an authenticated call: reauthenticate (once; the machine
///   counts).
/// - 429: retry, after `Retry-After` when given.
/// - 503: retry (the server refused the request, so even a question was not
///   taken).
/// - 502 and 504: retry, except for asking a question, where a gateway
///   may have passed the request on.
/// - everything else: final.
pub fn classify_status(
    endpoint: Endpoint,
    status: StatusCode,
    headers: &HeaderMap,
    wall_now: DateTime<Utc>,
) -> RetryAction {
    match status.as_u16() {
        200..=299 => RetryAction::NoRetry,
        401 if matches!(endpoint, Endpoint::Ask | Endpoint::Results) => RetryAction::Reauthenticate,
        429 => match retry_after(headers, wall_now) {
            Some(d) => RetryAction::RetryAfter(d),
            None => RetryAction::Retry,
        },
        503 => match retry_after(headers, wall_now) {
            Some(d) => RetryAction::RetryAfter(d),
            None => RetryAction::Retry,
        },
        502 | 504 if endpoint.is_idempotent() => RetryAction::Retry,
        _ => RetryAction::NoRetry,
    }
}

/// Classifies a transport failure for `endpoint`.
///
/// A connect failure is always retried: the request never left. A timeout
/// or a broken connection is retried only for idempotent calls, never for
/// asking a question (it could be asked twice). TLS failures, body limits
/// and redirects are final.
pub fn classify_transport(endpoint: Endpoint, kind: TransportErrorKind) -> RetryAction {
    match kind {
        TransportErrorKind::Connect => RetryAction::Retry,
        TransportErrorKind::Timeout | TransportErrorKind::Io if endpoint.is_idempotent() => {
            RetryAction::Retry
        }
        _ => RetryAction::NoRetry,
    }
}

/// Parses `Retry-After`: delta-seconds or an HTTP date (relative to
/// `wall_now`). A date in the past means zero.
pub fn retry_after(headers: &HeaderMap, wall_now: DateTime<Utc>) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(1e9)));
        }
    }
    let at = crate::net::parse_http_date(v)?;
    let delta = at - wall_now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The error for a final non-2xx answer.
pub fn status_error(
    endpoint: Endpoint,
    status: StatusCode,
    body: &[u8],
    target: Option<(WorkspaceId, Option<QuestionId>)>,
    attempts: u32,
) -> Error {
    let message = server_message(body);
    match status.as_u16() {
        401 | 403 if endpoint == Endpoint::Token => Error::Authentication { status, message },
        // Health sends no credentials: a 401 there is not about them.
        401 if endpoint != Endpoint::Health => Error::Authentication { status, message },
        // A valid token that may not do this: the workspace is not this
        // client's.
        403 if matches!(endpoint, Endpoint::Ask | Endpoint::Results) => Error::Forbidden {
            resource: match target {
                Some((dw, Some(q))) if endpoint == Endpoint::Results => Resource::Question(dw, q),
                Some((dw, _)) => Resource::Workspace(dw),
                None => Resource::Endpoint,
            },
            message,
        },
        404 => Error::NotFound {
            resource: match (endpoint, target) {
                (Endpoint::Ask, Some((dw, _))) => Resource::Workspace(dw),
                (Endpoint::Results, Some((dw, Some(q)))) => Resource::Question(dw, q),
                _ => Resource::Endpoint,
            },
            message,
        },
        429 => Error::RateLimited {
            attempts,
            retry_after: None,
            message,
        },
        500..=599 => Error::Server {
            status,
            attempts,
            message,
        },
        _ => Error::Api { status, message },
    }
}

fn check_status(endpoint: Endpoint, response: &http::Response<Vec<u8>>) -> Result<(), Error> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(status_error(
            endpoint,
            response.status(),
            response.body(),
            None,
            1,
        ))
    }
}

fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        DecodeError::new(
            "$",
            format!("body is not valid UTF-8 (at byte {})", e.valid_up_to()),
            body,
        )
    })?;
    if !text.trim_start().starts_with('{') {
        return Err(DecodeError::new("$", not_json_message(text), body));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(&mut de).map_err(|e| json_error(e, body))?;
    de.end().map_err(|e| json_error(e, body))?;
    Ok(value)
}

fn json_error(e: serde_json::Error, body: &[u8]) -> DecodeError {
    let path = match e.classify() {
        serde_json::error::Category::Eof => {
            return DecodeError::new(
                "$",
                "truncated JSON: the body ended in the middle of a value",
                body,
            );
        }
        _ => "$",
    };
    // serde_json names the field in its message ("missing field `x`").
    let msg = e.to_string();
    let path = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.contains("field"))
        .map(|f| format!("$.{f}"))
        .unwrap_or_else(|| path.to_string());
    DecodeError::new(path, msg, body)
}

/// Parses a health answer: any 2xx is healthy, whatever the body.
pub fn parse_health(response: &http::Response<Vec<u8>>) -> Result<(), Error> {
    check_status(Endpoint::Health, response)
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    expires_at: Option<String>,
    expires_in: Option<f64>,
}

/// Parses a token answer received at `received` (monotonic) and `wall_now`.
///
/// The lifetime is `expires_at` minus the response's `Date` header when
/// there is one (the server's own clock, so a skewed local clock does not
/// matter), else minus `wall_now`. `expires_in` seconds is accepted when
/// `expires_at` is absent.
pub fn parse_token(
    response: &http::Response<Vec<u8>>,
    received: Instant,
    wall_now: DateTime<Utc>,
) -> Result<AccessToken, Error> {
    check_status(Endpoint::Token, response)?;
    // The body holds the token: keep neither an excerpt nor serde's message
    // (which can quote values), only where the problem is.
    let body: TokenBody = decode(response.body()).map_err(|e| DecodeError {
        path: e.path,
        message: token_decode_message(&e.message),
        excerpt: String::new(),
    })?;
    if body.access_token.is_empty() {
        return Err(DecodeError::new("$.access_token", "empty access token", b"").into());
    }
    if body
        .access_token
        .chars()
        .any(|c| c.is_control() || !c.is_ascii())
    {
        return Err(DecodeError::new(
            "$.access_token",
            "the access token has characters that cannot go in a header",
            b"",
        )
        .into());
    }
    let reference = response
        .headers()
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::net::parse_http_date)
        .unwrap_or(wall_now);
    let (expires_at, lifetime) = match (&body.expires_at, body.expires_in) {
        (Some(text), _) => {
            let at = DateTime::parse_from_rfc3339(text).map_err(|e| {
                // The body holds the token: never excerpt it.
                DecodeError::new(
                    "$.expires_at",
                    format!("not an RFC 3339 date-time: {e}"),
                    b"",
                )
            })?;
            let lifetime = (at.with_timezone(&Utc) - reference)
                .to_std()
                .unwrap_or(Duration::ZERO);
            (at, lifetime)
        }
        (None, Some(secs)) if secs.is_finite() && secs > 0.0 => {
            let lifetime = Duration::from_secs_f64(secs.min(1e9));
            let at =
                wall_now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::zero());
            (at.fixed_offset(), lifetime)
        }
        _ => {
            return Err(DecodeError::new("$.expires_at", "missing field `expires_at`", b"").into());
        }
    };
    Ok(AccessToken::new(
        body.access_token,
        expires_at,
        received,
        lifetime,
    ))
}

fn token_decode_message(serde_message: &str) -> String {
    let what = if serde_message.contains("truncated") {
        "truncated JSON"
    } else if serde_message.contains("missing field") {
        "a required field is missing"
    } else if serde_message.contains("invalid type") {
        "a field has the wrong type"
    } else if serde_message.contains("HTML") {
        "expected JSON but got HTML or XML"
    } else {
        "not the token response the API describes"
    };
    let at = serde_message
        .rfind(" at line ")
        .map(|i| &serde_message[i..])
        .unwrap_or("");
    format!("token response: {what}{at} (body withheld: it may hold the token)")
}

#[derive(Deserialize)]
struct AskBody {
    question_id: QuestionId,
}

/// Parses the answer to asking a question: its id.
pub fn parse_ask(response: &http::Response<Vec<u8>>) -> Result<QuestionId, Error> {
    check_status(Endpoint::Ask, response)?;
    let body: AskBody = decode(response.body()).map_err(|mut e| {
        if e.message.contains("UUID") || e.message.contains("uuid") {
            e.path = "$.question_id".into();
        }
        e
    })?;
    Ok(body.question_id)
}

/// Parses a results answer. The body becomes the dataframe's storage.
pub fn parse_results(response: http::Response<Vec<u8>>) -> Result<ResultsResponse, Error> {
    check_status(Endpoint::Results, &response)?;
    Ok(parse_results_body(response.into_body())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn wall() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-11-05T10:54:22Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn token_reference_example() {
        let r = resp(
            200,
            r#"{
    "access_token": "eyJhbGciOiJSUzI1N...",
    "expires_at": "2025-11-05T11:54:22.793708+01:00"
}"#,
        );
        let now = Instant::now();
        let t = parse_token(&r, now, wall()).unwrap();
        assert_eq!(t.expose(), "eyJhbGciOiJSUzI1N...");
        assert_eq!(
            t.expires_at().to_rfc3339(),
            "2025-11-05T11:54:22.793708+01:00"
        );
        // 10:54:22Z to 11:54:22.79+01:00 is 0.79 s: a short-lived token.
        assert!(t.expires() > now && t.expires() < now + Duration::from_secs(1));
    }

    #[test]
    fn token_lifetime_uses_the_servers_date() {
        let mut r = resp(
            200,
            r#"{"access_token":"t","expires_at":"2025-11-05T12:00:00Z"}"#,
        );
        r.headers_mut()
            .insert("date", "Wed, 05 Nov 2025 11:00:00 GMT".parse().unwrap());
        let now = Instant::now();
        // Our wall clock is two days off; the Date header wins.
        let skewed = wall() + chrono::Duration::days(2);
        let t = parse_token(&r, now, skewed).unwrap();
        assert_eq!(t.expires(), now + Duration::from_secs(3600));
        assert_eq!(t.refresh_at(), now + Duration::from_secs(3540));
    }

    #[test]
    fn token_errors() {
        let e = parse_token(
            &resp(401, r#"{"detail":"invalid client"}"#),
            Instant::now(),
            wall(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            Error::Authentication {
                status: StatusCode::UNAUTHORIZED,
                message: Some("invalid client".into())
            }
        );
        let e = parse_token(
            &resp(200, r#"{"access_token":"secret-tok","expires_at":"soon"}"#),
            Instant::now(),
            wall(),
        )
        .unwrap_err();
        assert!(!format!("{e:?}{e}").contains("secret-tok"));
        let e = parse_token(
            &resp(200, r#"{"access_token":"secret-tok"}"#),
            Instant::now(),
            wall(),
        )
        .unwrap_err();
        assert!(!format!("{e:?}{e}").contains("secret-tok"), "{e:?}");
        let t = parse_token(
            &resp(200, r#"{"access_token":"a","expires_in":300}"#),
            Instant::now(),
            wall(),
        )
        .unwrap();
        assert_eq!(t.expires() - t.refresh_at(), Duration::from_secs(30));
    }

    #[test]
    fn ask_reference_example() {
        let r = resp(
            201,
            "{\n  \"question_id\": \"729cb7a4-4b06-449e-a3c9-df40f5e570b8\"\n}",
        );
        assert_eq!(
            parse_ask(&r).unwrap().to_string(),
            "729cb7a4-4b06-449e-a3c9-df40f5e570b8"
        );
        let e = parse_ask(&resp(200, r#"{"question_id":"nope"}"#)).unwrap_err();
        assert!(
            matches!(e, Error::Decode(ref d) if d.path == "$.question_id"),
            "{e:?}"
        );
        let e = parse_ask(&resp(
            200,
            r#"{"question_id":"729cb7a4-4b06-449e-a3c9-df40f5e570b8""#,
        ))
        .unwrap_err();
        assert!(
            matches!(e, Error::Decode(ref d) if d.message.contains("truncated")),
            "{e:?}"
        );
        let e = parse_ask(&resp(200, "<html>hi</html>")).unwrap_err();
        assert!(
            matches!(e, Error::Decode(ref d) if d.message.contains("HTML") && d.excerpt == "<html>hi</html>")
        );
        let e = parse_ask(&resp(200, "{}")).unwrap_err();
        assert!(
            matches!(e, Error::Decode(ref d) if d.path == "$.question_id"),
            "{e:?}"
        );
    }

    #[test]
    fn health_accepts_any_2xx_body() {
        assert!(parse_health(&resp(200, "")).is_ok());
        assert!(parse_health(&resp(204, "")).is_ok());
        assert!(parse_health(&resp(200, "OK")).is_ok());
        assert!(matches!(
            parse_health(&resp(503, "down")),
            Err(Error::Server { .. })
        ));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, wall()), None);
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h, wall()), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            "Wed, 05 Nov 2025 10:54:32 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, wall()), Some(Duration::from_secs(10)));
        h.insert(
            "retry-after",
            "Wed, 05 Nov 2025 10:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, wall()), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, wall()), None);
    }

    #[test]
    fn status_classification_table() {
        use Endpoint::*;
        use RetryAction::*;
        let h = HeaderMap::new();
        for (ep, status, want) in [
            (Results, 200, NoRetry),
            (Ask, 202, NoRetry),
            (Results, 401, Reauthenticate),
            (Ask, 401, Reauthenticate),
            (Token, 401, NoRetry),
            (Health, 401, NoRetry),
            (Results, 429, Retry),
            (Ask, 429, Retry),
            (Results, 502, Retry),
            (Ask, 502, NoRetry),
            (Results, 503, Retry),
            (Ask, 503, Retry),
            (Results, 504, Retry),
            (Ask, 504, NoRetry),
            (Token, 500, NoRetry),
            (Results, 404, NoRetry),
            (Results, 400, NoRetry),
        ] {
            assert_eq!(
                classify_status(ep, StatusCode::from_u16(status).unwrap(), &h, wall()),
                want,
                "{ep:?} {status}"
            );
        }
    }

    #[test]
    fn transport_classification_table() {
        use Endpoint::*;
        use RetryAction::*;
        use TransportErrorKind as K;
        for (ep, kind, want) in [
            (Ask, K::Connect, Retry),
            (Ask, K::Timeout, NoRetry),
            (Ask, K::Io, NoRetry),
            (Results, K::Timeout, Retry),
            (Results, K::Io, Retry),
            (Token, K::Io, Retry),
            (Results, K::Tls, NoRetry),
            (Results, K::BodyTooLarge, NoRetry),
            (Results, K::Redirect, NoRetry),
            (Results, K::Other, NoRetry),
        ] {
            assert_eq!(classify_transport(ep, kind), want, "{ep:?} {kind:?}");
        }
    }

    #[test]
    fn status_errors_name_the_resource() {
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let e = status_error(
            Endpoint::Ask,
            StatusCode::NOT_FOUND,
            b"",
            Some((WorkspaceId(13), None)),
            1,
        );
        assert_eq!(e.to_string(), "data workspace 13 was not found");
        let e = status_error(
            Endpoint::Results,
            StatusCode::NOT_FOUND,
            br#"{"message":"no such question"}"#,
            Some((WorkspaceId(13), Some(q))),
            1,
        );
        assert_eq!(
            e.to_string(),
            "question 729cb7a4-4b06-449e-a3c9-df40f5e570b8 in data workspace 13 was not found: no such question"
        );
        for (endpoint, target, want) in [
            (
                Endpoint::Ask,
                Some((WorkspaceId(13), None)),
                Some(Resource::Workspace(WorkspaceId(13))),
            ),
            (
                Endpoint::Results,
                Some((WorkspaceId(13), Some(q))),
                Some(Resource::Question(WorkspaceId(13), q)),
            ),
            (Endpoint::Token, None, None),
            (Endpoint::Health, None, None),
        ] {
            let e = status_error(
                endpoint,
                StatusCode::FORBIDDEN,
                br#"{"detail":"no"}"#,
                target,
                1,
            );
            match (e, want) {
                (Error::Forbidden { resource, message }, Some(r)) => {
                    assert_eq!((resource, message.as_deref()), (r, Some("no")))
                }
                (Error::Authentication { .. }, None) if endpoint == Endpoint::Token => {}
                (Error::Api { .. }, None) if endpoint == Endpoint::Health => {}
                (other, _) => panic!("{endpoint:?}: {other:?}"),
            }
        }
        let e = status_error(
            Endpoint::Results,
            StatusCode::BAD_GATEWAY,
            b"<html>bad gateway</html>",
            None,
            3,
        );
        assert_eq!(
            e.to_string(),
            "server error 502 Bad Gateway after 3 attempt(s): <html>bad gateway</html>"
        );
    }
}
