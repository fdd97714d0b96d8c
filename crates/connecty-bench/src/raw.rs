//! The raw baselines: bare hyper and bare ureq requests, with the same URL
//! and headers connecty sends, and nothing else (no timeouts, no proxy
//! matching, no retries, no parsing beyond what a caller needs).

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderValue;
use http::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT,
};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// hyper-util's legacy pooled client over plain TCP.
pub type RawHyper = Client<HttpConnector, Full<Bytes>>;

/// A raw hyper client with connecty's pool settings (15 s idle timeout).
pub fn hyper_client() -> RawHyper {
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(15))
        .pool_timer(TokioTimer::new())
        .build_http()
}

/// A raw ureq agent: pooled, gzip accepted and decoded, statuses as values.
pub fn ureq_agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(connecty_proto::default_user_agent())
        .accept_encoding("gzip")
        .build();
    ureq::Agent::new_with_config(config)
}

/// A raw ureq agent configured with the timeouts connecty-ureq sets
/// (resolve and connect 5 s, whole request 60 s), to show their cost.
pub fn ureq_agent_with_timeouts() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(connecty_proto::default_user_agent())
        .accept_encoding("gzip")
        .timeout_resolve(Some(Duration::from_secs(5)))
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(Duration::from_secs(60)))
        .build();
    ureq::Agent::new_with_config(config)
}

/// The headers connecty sends on every request.
pub fn common_headers(b: http::request::Builder) -> http::request::Builder {
    b.header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"))
        .header(USER_AGENT, connecty_proto::default_user_agent())
}

/// Decodes a gzip body (when the response says so).
pub fn decode(headers: &http::HeaderMap, body: Bytes) -> Result<Vec<u8>, String> {
    let gzip = headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if !gzip {
        return Ok(body.to_vec());
    }
    let mut out = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut out)
        .map_err(|e| format!("bad gzip body: {e}"))?;
    Ok(out)
}

/// Sends `req` and reads the whole body as sent (not decoded); non-2xx is
/// an error.
pub async fn send_raw(
    client: &RawHyper,
    req: http::Request<Full<Bytes>>,
) -> Result<(http::HeaderMap, Bytes), String> {
    let resp = client
        .request(req)
        .await
        .map_err(|e| format!("raw hyper request failed: {e}"))?;
    let (parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|e| format!("raw hyper body failed: {e}"))?
        .to_bytes();
    if !parts.status.is_success() {
        return Err(format!("raw hyper request answered {}", parts.status));
    }
    Ok((parts.headers, bytes))
}

/// Sends `req` and reads the whole body, gzip decoded; non-2xx is an error.
pub async fn send(client: &RawHyper, req: http::Request<Full<Bytes>>) -> Result<Vec<u8>, String> {
    let (headers, bytes) = send_raw(client, req).await?;
    decode(&headers, bytes)
}

/// A GET with connecty's headers and `bearer`.
pub fn get(url: &str, bearer: &HeaderValue) -> Result<http::Request<Full<Bytes>>, String> {
    common_headers(http::Request::get(url))
        .header(AUTHORIZATION, bearer.clone())
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("bad request: {e}"))
}

/// A JSON POST with connecty's headers and, if given, `bearer`.
pub fn post_json(
    url: &str,
    bearer: Option<&HeaderValue>,
    body: Vec<u8>,
) -> Result<http::Request<Full<Bytes>>, String> {
    let mut b = common_headers(http::Request::post(url))
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(v) = bearer {
        b = b.header(AUTHORIZATION, v.clone());
    }
    b.body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))
}

/// Exchanges the credentials for a token with a raw request; returns the
/// `Authorization` header value (marked sensitive).
pub async fn token(
    client: &RawHyper,
    base_url: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<HeaderValue, String> {
    let body = serde_json::to_vec(&serde_json::json!({
        "client_id": client_id,
        "client_secret": client_secret,
    }))
    .map_err(|e| e.to_string())?;
    let req = post_json(&format!("{base_url}/v1/auth/token"), None, body)?;
    let bytes = send(client, req).await?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("bad token body: {e}"))?;
    let tok = v
        .get("access_token")
        .and_then(|t| t.as_str())
        .ok_or("no access_token in the token body")?;
    bearer(tok)
}

/// `Bearer <token>` as a sensitive header value.
pub fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| "the token is not a valid header value".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}
