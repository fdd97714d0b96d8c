//! Streamable HTTP at `/mcp`, behind two gates: a bearer token and a
//! loopback `Origin` (the DNS-rebinding defence the MCP specification asks
//! for). Both rules are pure functions here, [`bind_allowed`] and [`gate`];
//! the listener around them only moves bytes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

use crate::ConnectyMcp;

/// The largest request body accepted, in bytes (413 above it).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// The path the server answers at.
pub const PATH: &str = "/mcp";

/// A bearer token the HTTP server requires; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// The token, or `None` when it is empty.
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let t = token.into();
        (!t.trim().is_empty()).then_some(Self(t))
    }

    /// Whether `candidate` is the token, in time that does not depend on
    /// where they differ.
    fn matches(&self, candidate: &[u8]) -> bool {
        let want = self.0.as_bytes();
        let mut diff = want.len() ^ candidate.len();
        for (i, w) in want.iter().enumerate() {
            diff |= usize::from(w ^ candidate.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([redacted])")
    }
}

/// How the HTTP server listens.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The address to bind.
    pub addr: SocketAddr,
    /// Allow a non-loopback address (`--allow-remote`).
    pub allow_remote: bool,
    /// The token every request must carry (`CONNECTY_MCP_TOKEN`).
    pub token: BearerToken,
}

/// Whether the server may listen on `addr`: loopback only, unless
/// `allow_remote`. Pure.
pub fn bind_allowed(addr: &SocketAddr, allow_remote: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(format!(
            "{addr} is not a loopback address: the MCP server listens on loopback only \
             (such as 127.0.0.1:8765) unless --allow-remote is given"
        ))
    }
}

/// Whether an `Origin` header value names a loopback origin
/// (`http://localhost:3000`, `https://127.0.0.1`, `http://[::1]:8080`). Pure.
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) if tail.is_empty() || is_port(tail) => h,
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((h, tail)) if is_port(&format!(":{tail}")) => h,
            Some(_) => return false,
            None => rest,
        }
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn is_port(tail: &str) -> bool {
    tail.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What the gates say about a request: `Ok` to serve it, or the status to
/// refuse it with (403 for a foreign `Origin`, 401 for a missing or wrong
/// token). Pure.
pub fn gate(headers: &HeaderMap, token: &BearerToken) -> Result<(), StatusCode> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(is_loopback_origin);
        if !ok {
            return Err(StatusCode::FORBIDDEN);
        }
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    match presented {
        Some(t) if token.matches(t.as_bytes()) => Ok(()),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn refusal(status: StatusCode) -> Response<Body> {
    let text = match status {
        StatusCode::FORBIDDEN => "forbidden: this server accepts only loopback origins",
        StatusCode::UNAUTHORIZED => {
            "unauthorized: send Authorization: Bearer TOKEN, TOKEN being the server's \
             CONNECTY_MCP_TOKEN"
        }
        _ => "not found: the MCP endpoint is /mcp",
    };
    let body = serde_json::json!({"error": text}).to_string();
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

/// A bound Streamable HTTP server; [`HttpServer::run`] serves it.
#[derive(Debug)]
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    server: ConnectyMcp,
    options: HttpOptions,
    stop: CancellationToken,
}

impl HttpServer {
    /// Binds `options.addr` (refused unless loopback or `allow_remote`).
    pub async fn bind(server: ConnectyMcp, options: HttpOptions) -> std::io::Result<Self> {
        bind_allowed(&options.addr, options.allow_remote)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
        let listener = tokio::net::TcpListener::bind(options.addr).await?;
        Ok(Self {
            listener,
            server,
            options,
            stop: CancellationToken::new(),
        })
    }

    /// The address it listens on (the port, when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A token that stops [`run`](Self::run) when cancelled.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until the stop token is cancelled.
    pub async fn run(self) -> std::io::Result<()> {
        let server = self.server.clone();
        let mut config = StreamableHttpServerConfig::default()
            .with_cancellation_token(self.stop.child_token())
            .with_max_request_body_bytes(MAX_REQUEST_BYTES);
        if self.options.allow_remote {
            // The Host check guards loopback servers; a remote one is
            // guarded by its token (and the Origin gate still applies).
            config = config.disable_allowed_hosts();
        }
        let service = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let token = Arc::new(self.options.token.clone());
        loop {
            let (stream, _) = tokio::select! {
                r = self.listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("connecty mcp: accept failed: {e}");
                        continue;
                    }
                },
                () = self.stop.cancelled() => return Ok(()),
            };
            // Small JSON-RPC messages: without TCP_NODELAY, Nagle's
            // algorithm and delayed ACKs add ~40 ms to each exchange.
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            let token = Arc::clone(&token);
            let stop = self.stop.clone();
            tokio::spawn(async move {
                let handle = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let mut service = service.clone();
                    let token = Arc::clone(&token);
                    async move {
                        if req.uri().path() != PATH {
                            return Ok::<_, Infallible>(refusal(StatusCode::NOT_FOUND));
                        }
                        if let Err(status) = gate(req.headers(), &token) {
                            return Ok(refusal(status));
                        }
                        service.call(req).await
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handle);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    () = stop.cancelled() => conn.as_mut().graceful_shutdown(),
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_binds_without_allow_remote() {
        let cases = [
            ("127.0.0.1:0", false, true),
            ("[::1]:8765", false, true),
            ("0.0.0.0:8765", false, false),
            ("192.168.1.5:8765", false, false),
            ("0.0.0.0:8765", true, true),
        ];
        for (addr, remote, ok) in cases {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(bind_allowed(&addr, remote).is_ok(), ok, "{addr} {remote}");
        }
        assert!(
            bind_allowed(&"0.0.0.0:1".parse().unwrap(), false)
                .unwrap_err()
                .contains("--allow-remote")
        );
    }

    #[test]
    fn loopback_origins() {
        let cases = [
            ("http://localhost", true),
            ("http://localhost:6274", true),
            ("https://LOCALHOST:443", true),
            ("http://127.0.0.1:3000", true),
            ("http://127.5.0.1", true),
            ("http://[::1]:8080", true),
            ("http://[::1]", true),
            ("https://evil.example", false),
            ("http://localhost.evil.example", false),
            ("http://127.0.0.1.evil.example", false),
            ("http://localhost:80@evil.example", false),
            ("http://localhost:abc", false),
            ("null", false),
            ("file://", false),
            ("http://[::2]", false),
            ("", false),
        ];
        for (origin, want) in cases {
            assert_eq!(is_loopback_origin(origin), want, "{origin}");
        }
    }

    #[test]
    fn the_gates() {
        let token = BearerToken::new("s3cret-token").unwrap();
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, http::HeaderValue::from_static(v));
            }
            m
        };
        type Case<'a> = (&'a [(&'a str, &'a str)], Result<(), StatusCode>);
        let cases: &[Case] = &[
            (&[("authorization", "Bearer s3cret-token")], Ok(())),
            (&[("authorization", "bearer s3cret-token")], Ok(())),
            (
                &[
                    ("authorization", "Bearer s3cret-token"),
                    ("origin", "http://localhost:6274"),
                ],
                Ok(()),
            ),
            (&[], Err(StatusCode::UNAUTHORIZED)),
            (
                &[("authorization", "Bearer wrong")],
                Err(StatusCode::UNAUTHORIZED),
            ),
            (
                &[("authorization", "Bearer s3cret-token-longer")],
                Err(StatusCode::UNAUTHORIZED),
            ),
            (
                &[("authorization", "Basic s3cret-token")],
                Err(StatusCode::UNAUTHORIZED),
            ),
            (
                &[("authorization", "s3cret-token")],
                Err(StatusCode::UNAUTHORIZED),
            ),
            (
                &[
                    ("authorization", "Bearer s3cret-token"),
                    ("origin", "https://evil.example"),
                ],
                Err(StatusCode::FORBIDDEN),
            ),
            (
                &[("origin", "https://evil.example")],
                Err(StatusCode::FORBIDDEN),
            ),
        ];
        for (headers, want) in cases {
            assert_eq!(gate(&h(headers), &token), *want, "{headers:?}");
        }
        assert_eq!(format!("{token:?}"), "BearerToken([redacted])");
        assert!(BearerToken::new("  ").is_none());
    }
}
