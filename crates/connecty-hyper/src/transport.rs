//! [`HyperTransport`]: the [`AsyncTransport`] over hyper's pooled client.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use connecty_proto::{
    AsyncTransport, InvalidInput, ProxySetting, Settings, TransportError, TransportErrorKind,
};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, PROXY_AUTHORIZATION};
use http::uri::Scheme;
use http_body_util::Full;
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{self, Encoding};
use crate::connect::{Connector, ProxyConnector};
use crate::error;

/// The async transport: hyper 1 and hyper-util's pooled client on tokio,
/// rustls for TLS (HTTP/2 when the server offers it over ALPN).
///
/// Cheap to clone: clones share one connection pool. Requests must run
/// inside a tokio runtime.
///
/// Most users want [`ClientBuilder`](crate::ClientBuilder); this type is
/// for composing an [`AsyncClient`](connecty_proto::AsyncClient) by hand.
#[derive(Clone)]
pub struct HyperTransport {
    client: LegacyClient<Connector, Full<Bytes>>,
    proxy: Option<Arc<Matcher>>,
    body_limit: u64,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("body_limit", &self.body_limit)
            .field("proxy", &self.proxy.is_some())
            .finish_non_exhaustive()
    }
}

/// The proxy matcher for a setting; `None` means direct connections.
fn proxy_matcher(setting: &ProxySetting) -> Result<Option<Matcher>, InvalidInput> {
    match setting {
        ProxySetting::Disabled => Ok(None),
        ProxySetting::Url(url) => {
            let bad = |why: &str| InvalidInput::new("proxy", why.to_owned());
            // Never echo the URL: it may carry a password.
            let uri: http::Uri = url
                .trim()
                .parse()
                .map_err(|_| bad("is not a valid URL; expected http://host:port"))?;
            match uri.scheme_str() {
                None | Some("http" | "socks4" | "socks4a" | "socks5" | "socks5h") => {}
                Some(_) => {
                    return Err(bad(
                        "has an unsupported scheme; expected http, socks4, socks4a, socks5 or socks5h",
                    ));
                }
            }
            if uri.host().is_none_or(str::is_empty) {
                return Err(bad("has no host; expected http://host:port"));
            }
            let matcher = Matcher::builder().all(url.trim().to_owned()).build();
            let probe = http::Uri::from_static("https://api.eu1.connecty-ai.com/");
            if matcher.intercept(&probe).is_none() {
                return Err(bad("could not be used; expected http://host:port"));
            }
            Ok(Some(matcher))
        }
        // FromEnv and anything added later: the environment, as curl reads it.
        _ => Ok(Some(Matcher::from_env())),
    }
}

impl HyperTransport {
    /// A transport with `settings`' connect timeout, body limit, pool idle
    /// timeout, extra root certificates and proxy.
    ///
    /// Fails with [`connecty_proto::Error::InvalidInput`] for an extra root
    /// certificate that is not PEM or an unusable proxy URL.
    pub fn new(settings: &Settings) -> Result<HyperTransport, connecty_proto::Error> {
        let tls = crate::tls::client_config(&settings.extra_root_certificates)?;
        let proxy = proxy_matcher(&settings.proxy)?.map(Arc::new);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(ProxyConnector::new(proxy.clone()));
        let connector = Connector::new(https, settings.connect_timeout);
        let client = LegacyClient::builder(TokioExecutor::new())
            .pool_idle_timeout(settings.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            // A request that failed on a reused connection before it was
            // written is sent again on a fresh one (hyper-util's default,
            // kept on on purpose).
            .retry_canceled_requests(true)
            .build(connector);
        Ok(HyperTransport {
            client,
            proxy,
            body_limit: settings.body_limit,
        })
    }

    /// The response body limit in bytes, after gzip decoding.
    pub fn body_limit(&self) -> u64 {
        self.body_limit
    }

    async fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (mut parts, body) = request.into_parts();
        let authority = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if parts.uri.scheme() == Some(&Scheme::HTTP) {
            // A forwarding proxy sees the request itself, so its
            // credentials go on the request.
            let auth = self.proxy.as_ref().and_then(|m| m.intercept(&parts.uri));
            if let Some(auth) = auth.as_ref().and_then(|i| i.basic_auth()) {
                parts.headers.insert(PROXY_AUTHORIZATION, auth.clone());
            }
        }
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| error::request_failed(&authority, &e))?;
        let (mut parts, incoming) = response.into_parts();
        let limit = self.body_limit;
        let announced = body::content_length(&parts.headers);
        if announced.is_some_and(|n| n > limit) {
            return Err(error::body_failed(
                &authority,
                limit,
                body::BodyError::TooLarge,
            ));
        }
        let encoding =
            body::encoding(&parts.headers).map_err(|e| error::body_failed(&authority, limit, e))?;
        let bytes = body::read(incoming, encoding, limit, announced)
            .await
            .map_err(|e| error::body_failed(&authority, limit, e))?;
        if encoding == Encoding::Gzip {
            parts.headers.remove(CONTENT_ENCODING);
            parts.headers.remove(CONTENT_LENGTH);
        }
        Ok(http::Response::from_parts(parts, bytes))
    }
}

#[async_trait::async_trait]
impl AsyncTransport for HyperTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        tracing::trace!(%method, %path, bytes = request.body().len(), "sending request");
        let result = match tokio::time::timeout(timeout, self.execute(request)).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::new(
                TransportErrorKind::Timeout,
                format!(
                    "no complete response within the request timeout of {} ms",
                    timeout.as_millis()
                ),
            )),
        };
        match &result {
            Ok(r) => tracing::trace!(
                %method,
                %path,
                status = r.status().as_u16(),
                bytes = r.body().len(),
                version = ?r.version(),
                "received response"
            ),
            Err(e) => {
                tracing::trace!(%method, %path, kind = ?e.kind, error = %e.message, "request failed")
            }
        }
        result
    }

    async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_without_echoing_them() {
        for bad in [
            "ftp://user:hunter2@proxy:1080",
            "https://user:hunter2@proxy:443",
            "not a url",
            "http://",
        ] {
            let e = proxy_matcher(&ProxySetting::Url(bad.to_owned())).unwrap_err();
            assert_eq!(e.field, "proxy");
            assert!(!e.message.contains("hunter2"));
        }
        let m = proxy_matcher(&ProxySetting::Url("http://u:p@127.0.0.1:3128".into()))
            .unwrap()
            .unwrap();
        let i = m
            .intercept(&http::Uri::from_static(
                "https://api.us1.connecty-ai.com/v1/health",
            ))
            .unwrap();
        assert_eq!(i.uri().authority().unwrap().as_str(), "127.0.0.1:3128");
        assert!(i.basic_auth().is_some());
        assert!(proxy_matcher(&ProxySetting::Disabled).unwrap().is_none());
    }

    #[test]
    fn transports_are_send_sync_and_cheap_to_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<HyperTransport>();
    }
}
