//! [`UreqTransport`]: the core's [`BlockingTransport`] on a ureq 3 agent.

use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_proto::net::{ProxyDecision, ProxyRoute, ProxyRules, ProxyScheme, Via, failure};
use connecty_proto::{BlockingTransport, Error, InvalidInput, Settings, TransportError};
use ureq::Agent;

use crate::error::{Context, map_error};

/// The most bytes reserved up front for a body whose length is announced;
/// past it the buffer grows as bytes arrive, so a lying `Content-Length`
/// cannot make the transport reserve the whole body limit.
const MAX_PREALLOCATION: u64 = 8 * 1024 * 1024;

/// The blocking transport: a ureq 3 [`Agent`] (one connection pool, one TLS
/// configuration) configured from [`Settings`].
///
/// ureq's defaults that would leak through are overridden:
///
/// | ureq default | here |
/// |---|---|
/// | 4xx/5xx are `Err(StatusCode)` | every status is a response; the core classifies it |
/// | up to 10 redirects followed | none followed: a 3xx is returned as a response, so an `Authorization` header never reaches another origin |
/// | 10 MB body limit | [`Settings::body_limit`] (256 MiB), counted after gzip decoding |
/// | no timeouts | connect (with DNS) [`Settings::connect_timeout`]; the whole request, body included, the `timeout` the core passes (at most [`Settings::request_timeout`]) |
/// | proxy from `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` | [`Settings::proxy`], decided by the core's rule ([`connecty_proto::net::ProxyRules`]) |
/// | Mozilla's roots | the platform verifier, plus [`Settings::extra_root_certificates`] |
/// | 3 idle connections per host | 10 (one host serves every request) |
/// | idle connections kept 15 s | [`Settings::pool_idle_timeout`] (also 15 s by default) |
/// | `User-Agent: ureq/3.x` | the client's user agent, also on proxy `CONNECT`s |
///
/// It is `Send + Sync`; clones of a client share it.
pub struct UreqTransport {
    agent: Agent,
    /// The agent's own whole-request timeout; other timeouts are set per
    /// request.
    request_timeout: Duration,
    connect_timeout: Duration,
    body_limit: u64,
    proxy: ProxyRules,
    /// The base URL's origin (`scheme://authority`) and its route, decided
    /// when built: every request the client makes goes there.
    base_origin: String,
    base_route: Option<ProxyRoute>,
    /// The proxy the agent was built with (the base URL's).
    agent_proxy: Option<ureq::Proxy>,
}

/// Why connecty-ureq refuses plain `http://` through an HTTP proxy.
const NO_ABSOLUTE_FORM: &str = "names an HTTP proxy for a plain http:// URL, which connecty-ureq cannot use: ureq 3 writes no absolute-form requests, and most proxies refuse a CONNECT tunnel to a port other than 443. Use an https:// base URL, a socks5h:// proxy, list the host in NO_PROXY, or use connecty-hyper";

/// The origin of `uri`, to compare requests with the base URL.
fn origin(uri: &http::Uri) -> String {
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map(|a| a.as_str()).unwrap_or_default()
    )
}

/// The ureq proxy that carries `decision`, or why it cannot.
fn ureq_proxy(decision: ProxyDecision) -> Result<Option<(ProxyRoute, ureq::Proxy)>, InvalidInput> {
    let ProxyDecision::Proxy(route) = decision else {
        return Ok(None);
    };
    let p = &route.proxy;
    let protocol = match (route.via, p.scheme()) {
        (Via::AbsoluteForm, _) => return Err(InvalidInput::new(route.source, NO_ABSOLUTE_FORM)),
        (_, ProxyScheme::Http) => ureq::ProxyProtocol::Http,
        (_, ProxyScheme::Socks4) => ureq::ProxyProtocol::Socks4,
        (_, ProxyScheme::Socks4a) => ureq::ProxyProtocol::Socks4A,
        (_, ProxyScheme::Socks5) => ureq::ProxyProtocol::Socks5,
        (_, _) => ureq::ProxyProtocol::Socks5h,
    };
    let mut b = ureq::Proxy::builder(protocol)
        .host(p.host())
        .port(p.port())
        .resolve_target(p.scheme().is_socks() && !p.scheme().remote_dns());
    if let Some(user) = p.username() {
        b = b.username(user);
    }
    if let Some(password) = p.password() {
        b = b.password(password);
    }
    let proxy = b
        .build()
        .map_err(|_| InvalidInput::new(route.source, "could not be used as a proxy"))?;
    Ok(Some((route, proxy)))
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("request_timeout", &self.request_timeout)
            .field("body_limit", &self.body_limit)
            .field("proxy", &self.proxy.describe())
            .finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// A transport configured by `settings`: timeouts, body limit, pool idle
    /// timeout, extra root certificates and proxy (the environment is read
    /// now, when the setting is [`ProxySetting::FromEnv`](connecty_proto::ProxySetting::FromEnv)).
    ///
    /// Fails with [`Error::InvalidInput`] for an unusable root certificate
    /// PEM or proxy URL.
    pub fn new(settings: &Settings) -> Result<Self, Error> {
        Self::with_env(settings, |k| std::env::var(k).ok())
    }

    pub(crate) fn with_env(
        settings: &Settings,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let tls = crate::tls::tls_config(&settings.extra_root_certificates)?;
        let proxy = ProxyRules::new(&settings.proxy, lookup)?;
        let user_agent = settings.client_config()?.user_agent;
        let base: http::Uri = settings
            .base_url
            .join("/")
            .parse()
            .map_err(|_| InvalidInput::new("base_url", "is not a valid URI"))?;
        let (base_route, agent_proxy) = ureq_proxy(proxy.route(&base)?)?.unzip();
        let request_timeout = settings.request_timeout;
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .save_redirect_history(false)
            .https_only(false)
            .tls_config(tls)
            .proxy(agent_proxy.clone())
            .user_agent(user_agent)
            .accept_encoding("gzip")
            .timeout_resolve(Some(settings.connect_timeout))
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(request_timeout))
            .max_idle_age(settings.pool_idle_timeout)
            .max_idle_connections(10)
            .max_idle_connections_per_host(10)
            .build();
        tracing::debug!(
            proxy = proxy.describe(),
            proxied = base_route.is_some(),
            "ureq transport built"
        );
        Ok(Self {
            agent: Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                crate::resolver::LiteralFirstResolver::default(),
            ),
            request_timeout,
            connect_timeout: settings.connect_timeout,
            body_limit: settings.body_limit,
            proxy,
            base_origin: origin(&base),
            base_route,
            agent_proxy,
        })
    }

    /// The route and ureq proxy of a request to `uri`: the base URL's, or
    /// decided now for another origin.
    fn proxy_for(
        &self,
        uri: &http::Uri,
    ) -> Result<(Option<ProxyRoute>, Option<ureq::Proxy>), InvalidInput> {
        if origin(uri) == self.base_origin {
            return Ok((self.base_route.clone(), self.agent_proxy.clone()));
        }
        Ok(ureq_proxy(self.proxy.route(uri)?)?.unzip())
    }

    /// The largest response body accepted, after gzip decoding.
    pub fn body_limit(&self) -> u64 {
        self.body_limit
    }

    fn run(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
        proxy: Option<ureq::Proxy>,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let (parts, body) = request.into_parts();
        // A GET with a zero-length body goes without `Content-Length: 0`.
        if body.is_empty() && !matches!(parts.method, http::Method::POST | http::Method::PUT) {
            self.run_with(http::Request::from_parts(parts, ()), timeout, proxy)
        } else {
            self.run_with(http::Request::from_parts(parts, body), timeout, proxy)
        }
    }

    fn run_with<B: ureq::AsSendBody>(
        &self,
        request: http::Request<B>,
        timeout: Duration,
        proxy: Option<ureq::Proxy>,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        // The agent's own configuration serves almost every request; a
        // request-level configuration (a copy of it) only when the timeout
        // was shortened by a near deadline or the URL needs another proxy,
        // so the agent's cached TLS configuration is normally reused.
        if timeout == self.request_timeout && proxy == self.agent_proxy {
            self.agent.run(request)
        } else {
            let request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .proxy(proxy)
                .build();
            self.agent.run(request)
        }
    }

    fn read_body(&self, body: &mut ureq::Body) -> Result<Vec<u8>, ureq::Error> {
        // Only set when the body is not being decompressed: then it is the
        // size of what would be read.
        let announced = body.content_length();
        if let Some(len) = announced {
            if len > self.body_limit {
                return Err(ureq::Error::BodyExceedsLimit(self.body_limit));
            }
        }
        let capacity = announced.unwrap_or(0).min(MAX_PREALLOCATION);
        let mut out = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        body.with_config()
            .limit(self.body_limit)
            .reader()
            .read_to_end(&mut out)?;
        Ok(out)
    }
}

impl BlockingTransport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        let (route, proxy) = self
            .proxy_for(request.uri())
            .map_err(|e| failure::other(&authority, &format!("{} {}", e.field, e.message)))?;
        let cx = Context {
            authority: &authority,
            proxy: route.as_ref(),
            connect_timeout: self.connect_timeout,
            timeout,
            body_limit: self.body_limit,
        };
        tracing::trace!(%method, path, proxied = route.is_some(), ?timeout, "sending");
        let started = Instant::now();
        let result = self.run(request, timeout, proxy).and_then(|response| {
            let (parts, mut body) = response.into_parts();
            let bytes = self.read_body(&mut body)?;
            Ok(http::Response::from_parts(parts, bytes))
        });
        match result {
            Ok(response) => {
                tracing::trace!(
                    %method,
                    path,
                    status = response.status().as_u16(),
                    bytes = response.body().len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "received"
                );
                Ok(response)
            }
            Err(e) => {
                let e = map_error(e, &cx);
                tracing::trace!(%method, path, kind = ?e.kind, error = %e.message, "failed");
                Err(e)
            }
        }
    }

    fn sleep_until(&self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
