//! [`HyperTransport`]: the [`AsyncTransport`] over hyper's pooled client.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use connecty_proto::net::{ProxyDecision, ProxyRoute, ProxyRules, Via, failure};
use connecty_proto::{AsyncTransport, InvalidInput, Settings, TransportError};
use http::header::{CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, PROXY_AUTHORIZATION};
use http_body_util::Full;
use hyper_util::client::legacy::Client as LegacyClient;
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
    proxy: Arc<ProxyRules>,
    /// The base URL's origin (`scheme://authority`) and its route, decided
    /// when built: every request the client makes goes there.
    base_origin: Arc<str>,
    base_route: Option<Arc<ProxyRoute>>,
    connect_timeout: Duration,
    body_limit: u64,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("body_limit", &self.body_limit)
            .field("proxy", &self.proxy.describe())
            .field("proxied", &self.base_route.is_some())
            .finish_non_exhaustive()
    }
}

/// The origin of `uri`, to compare requests with the base URL.
fn origin(uri: &http::Uri) -> String {
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map(|a| a.as_str()).unwrap_or_default()
    )
}

impl HyperTransport {
    /// A transport with `settings`' connect timeout, body limit, pool idle
    /// timeout, extra root certificates and proxy.
    ///
    /// Fails with [`connecty_proto::Error::InvalidInput`] for an extra root
    /// certificate that is not PEM or an unusable proxy URL.
    pub fn new(settings: &Settings) -> Result<HyperTransport, connecty_proto::Error> {
        let tls = crate::tls::client_config(&settings.extra_root_certificates)?;
        let proxy = Arc::new(ProxyRules::new(&settings.proxy, |k| std::env::var(k).ok())?);
        let base: http::Uri = settings
            .base_url
            .join("/")
            .parse()
            .map_err(|_| InvalidInput::new("base_url", "is not a valid URI"))?;
        // Decided now, so a bad proxy variable fails the build.
        let base_route = match proxy.route(&base)? {
            ProxyDecision::Proxy(route) => Some(Arc::new(route)),
            _ => None,
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(ProxyConnector::new(Arc::clone(&proxy)));
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
            base_origin: origin(&base).into(),
            base_route,
            connect_timeout: settings.connect_timeout,
            body_limit: settings.body_limit,
        })
    }

    /// The route of a request to `uri`: the base URL's, or decided now for
    /// another origin (a failed decision fails the connect, with the
    /// reason).
    fn route_for(&self, uri: &http::Uri) -> Option<Arc<ProxyRoute>> {
        if origin(uri) == *self.base_origin {
            return self.base_route.clone();
        }
        match self.proxy.route(uri) {
            Ok(ProxyDecision::Proxy(route)) => Some(Arc::new(route)),
            _ => None,
        }
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
        let route = self.route_for(&parts.uri);
        if let Some(r) = route.as_deref().filter(|r| r.via == Via::AbsoluteForm) {
            // A forwarding proxy sees the request itself, so its
            // credentials go on the request.
            if let Some(auth) = r.proxy.basic_auth() {
                parts.headers.insert(PROXY_AUTHORIZATION, auth);
            }
            // One request per connection: forward proxies commonly close
            // the client's connection after each response without saying
            // so (tinyproxy 1.11 does), and a request written onto such a
            // pooled connection is lost ("connection closed before message
            // completed"). Plain http through a proxy is rare enough for
            // the extra connects not to matter.
            parts
                .headers
                .insert(CONNECTION, http::HeaderValue::from_static("close"));
        }
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let response = self.client.request(request).await.map_err(|e| {
            error::request_failed(&authority, route.as_deref(), self.connect_timeout, &e)
        })?;
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
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        tracing::trace!(%method, %path, bytes = request.body().len(), "sending request");
        let result = match tokio::time::timeout(timeout, self.execute(request)).await {
            Ok(r) => r,
            Err(_) => Err(failure::timed_out(&authority, timeout)),
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
    fn transports_are_send_sync_and_cheap_to_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<HyperTransport>();
    }
}
