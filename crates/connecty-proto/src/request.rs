//! Request builders for the four endpoints.
//!
//! Every request carries `Accept: application/json`, `Accept-Encoding:
//! gzip` (transports decode it) and the `User-Agent`; bodies are JSON with
//! `Content-Type: application/json`; every call but health and token carries
//! `Authorization: Bearer <token>`, marked sensitive.

use http::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request};

use crate::config::{BaseUrl, Credentials};
use crate::error::InvalidInput;
use crate::ids::{QuestionId, WorkspaceId};
use crate::query::{ResultsOptions, validate_question};
use crate::secret::AccessToken;

/// The endpoints of the API, for logs and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /v1/health`
    Health,
    /// `POST /v1/auth/token`
    Token,
    /// `POST /v1/dw/{dw_id}/questions`
    Ask,
    /// `GET /v1/dw/{dw_id}/questions/{question_id}/results`
    Results,
}

impl Endpoint {
    /// Whether repeating the request cannot do harm. Only asking a question
    /// is not: a repeated ask is a second question.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Endpoint::Ask)
    }

    /// A short name: `health`, `token`, `ask`, `results`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Health => "health",
            Endpoint::Token => "token",
            Endpoint::Ask => "ask",
            Endpoint::Results => "results",
        }
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

fn base(
    method: Method,
    url: String,
    user_agent: &str,
) -> Result<http::request::Builder, InvalidInput> {
    let ua = HeaderValue::from_str(user_agent)
        .map_err(|_| InvalidInput::new("user_agent", "is not a valid header value"))?;
    Ok(Request::builder()
        .method(method)
        .uri(url)
        .header(ACCEPT, JSON)
        .header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"))
        .header(USER_AGENT, ua))
}

fn finish(b: http::request::Builder, body: Vec<u8>) -> Result<Request<Vec<u8>>, InvalidInput> {
    b.body(body)
        .map_err(|e| InvalidInput::new("request", format!("could not be built: {e}")))
}

fn bearer(token: &AccessToken) -> Result<HeaderValue, InvalidInput> {
    let mut v = HeaderValue::try_from(format!("Bearer {}", token.expose()))
        .map_err(|_| InvalidInput::new("access_token", "is not a valid header value"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// `GET /v1/health`.
pub fn health(base_url: &BaseUrl, user_agent: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
    finish(
        base(Method::GET, base_url.join("/v1/health"), user_agent)?,
        Vec::new(),
    )
}

/// `POST /v1/auth/token` with `{"client_id": ..., "client_secret": ...}`.
pub fn token(
    base_url: &BaseUrl,
    user_agent: &str,
    credentials: &Credentials,
) -> Result<Request<Vec<u8>>, InvalidInput> {
    let body = serde_json::json!({
        "client_id": credentials.client_id(),
        "client_secret": credentials.client_secret().expose(),
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    finish(
        base(Method::POST, base_url.join("/v1/auth/token"), user_agent)?.header(CONTENT_TYPE, JSON),
        body,
    )
}

/// `POST /v1/dw/{dw_id}/questions` with `{"question": ...}`.
pub fn ask(
    base_url: &BaseUrl,
    user_agent: &str,
    token: &AccessToken,
    workspace: WorkspaceId,
    question: &str,
) -> Result<Request<Vec<u8>>, InvalidInput> {
    validate_question(question)?;
    let body = serde_json::to_vec(&serde_json::json!({ "question": question })).unwrap_or_default();
    finish(
        base(
            Method::POST,
            base_url.join(&format!("/v1/dw/{workspace}/questions")),
            user_agent,
        )?
        .header(CONTENT_TYPE, JSON)
        .header(AUTHORIZATION, bearer(token)?),
        body,
    )
}

/// `GET /v1/dw/{dw_id}/questions/{question_id}/results?include=...&max_rows=...`.
///
/// `include` is always sent (comma-separated, no spaces, in a fixed order);
/// `max_rows` only when set.
pub fn results(
    base_url: &BaseUrl,
    user_agent: &str,
    token: &AccessToken,
    workspace: WorkspaceId,
    question: QuestionId,
    options: &ResultsOptions,
) -> Result<Request<Vec<u8>>, InvalidInput> {
    options.validate()?;
    let mut url = base_url.join(&format!("/v1/dw/{workspace}/questions/{question}/results"));
    url.push_str("?include=");
    url.push_str(&options.include.to_query_value());
    if let Some(n) = options.max_rows {
        url.push_str(&format!("&max_rows={n}"));
    }
    finish(
        base(Method::GET, url, user_agent)?.header(AUTHORIZATION, bearer(token)?),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Include, IncludeSet};
    use std::time::{Duration, Instant};

    fn tok() -> AccessToken {
        AccessToken::new(
            "eyJhbGciOiJSUzI1N",
            chrono::DateTime::parse_from_rfc3339("2025-11-05T11:54:22.793708+01:00").unwrap(),
            Instant::now(),
            Duration::from_secs(3600),
        )
    }

    fn url() -> BaseUrl {
        BaseUrl::parse("https://api.eu1.connecty-ai.com/").unwrap()
    }

    fn header<'a>(r: &'a Request<Vec<u8>>, name: &str) -> Option<&'a str> {
        r.headers().get(name).map(|v| v.to_str().unwrap())
    }

    fn common(r: &Request<Vec<u8>>) {
        assert_eq!(header(r, "accept"), Some("application/json"));
        assert_eq!(header(r, "accept-encoding"), Some("gzip"));
        assert_eq!(
            header(r, "user-agent"),
            Some(format!("connecty-rs/{}", env!("CARGO_PKG_VERSION")).as_str())
        );
    }

    fn ua() -> String {
        crate::config::default_user_agent()
    }

    #[test]
    fn health_request() {
        let r = health(&url(), &ua()).unwrap();
        assert_eq!(r.method(), Method::GET);
        assert_eq!(r.uri(), "https://api.eu1.connecty-ai.com/v1/health");
        common(&r);
        assert!(r.headers().get("authorization").is_none());
        assert!(r.body().is_empty());
    }

    #[test]
    fn token_request_is_a_json_post() {
        let c = Credentials::new("YOUR_CLIENT_ID", "YOUR_CLIENT_SECRET").unwrap();
        let r = token(&url(), &ua(), &c).unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "https://api.eu1.connecty-ai.com/v1/auth/token");
        common(&r);
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert!(r.headers().get("authorization").is_none());
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"})
        );
    }

    #[test]
    fn ask_request_matches_the_reference_example() {
        let r = ask(
            &url(),
            &ua(),
            &tok(),
            WorkspaceId(13),
            "list the top 5 countries with the most orders",
        )
        .unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(
            r.uri(),
            "https://api.eu1.connecty-ai.com/v1/dw/13/questions"
        );
        common(&r);
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert_eq!(
            header(&r, "authorization"),
            Some("Bearer eyJhbGciOiJSUzI1N")
        );
        assert!(r.headers().get("authorization").unwrap().is_sensitive());
        assert_eq!(
            r.body().as_slice(),
            br#"{"question":"list the top 5 countries with the most orders"}"#
        );
        assert_eq!(
            ask(&url(), &ua(), &tok(), WorkspaceId(13), " ")
                .unwrap_err()
                .field,
            "question"
        );
    }

    #[test]
    fn results_request_query() {
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let r = results(
            &url(),
            &ua(),
            &tok(),
            WorkspaceId(13),
            q,
            &ResultsOptions::default(),
        )
        .unwrap();
        assert_eq!(r.method(), Method::GET);
        assert_eq!(
            r.uri(),
            "https://api.eu1.connecty-ai.com/v1/dw/13/questions/729cb7a4-4b06-449e-a3c9-df40f5e570b8/results?include=dataframe"
        );
        common(&r);
        assert_eq!(
            header(&r, "authorization"),
            Some("Bearer eyJhbGciOiJSUzI1N")
        );
        let o = ResultsOptions {
            include: IncludeSet::DEFAULT
                .with(Include::SqlQuery)
                .with(Include::Statistics),
            max_rows: Some(50),
        };
        let r = results(&url(), &ua(), &tok(), WorkspaceId(13), q, &o).unwrap();
        assert_eq!(
            r.uri().path_and_query().unwrap().as_str(),
            "/v1/dw/13/questions/729cb7a4-4b06-449e-a3c9-df40f5e570b8/results?include=dataframe,statistics,sqlquery&max_rows=50"
        );
        let bad = ResultsOptions {
            max_rows: Some(0),
            ..o
        };
        assert_eq!(
            results(&url(), &ua(), &tok(), WorkspaceId(13), q, &bad)
                .unwrap_err()
                .field,
            "max_rows"
        );
    }

    #[test]
    fn path_prefix_joins_cleanly() {
        let b = BaseUrl::parse("https://gateway.example/connecty/").unwrap();
        let r = ask(&b, &ua(), &tok(), WorkspaceId(7), "q").unwrap();
        assert_eq!(
            r.uri(),
            "https://gateway.example/connecty/v1/dw/7/questions"
        );
    }
}
