//! The connector: TCP, an optional proxy (CONNECT tunnel for https,
//! absolute-form forwarding for http, SOCKS), TLS, all under one connect
//! timeout. Which proxy and how is the core's decision
//! ([`connecty_proto::net::ProxyRules`]); this module only carries it out.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use connecty_proto::net::{ProxyDecision, ProxyRules, ProxyScheme, Via};
use http::Uri;
use http::uri::Scheme;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::{SocksV4, SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// Why the connector gave up, where no lower-level error says it.
#[derive(Debug)]
pub(crate) enum ConnectFailure {
    /// TCP, proxy CONNECT and TLS together took longer than the connect
    /// timeout.
    TimedOut(Duration),
    /// The proxy answered the tunnel request with a refusal.
    ProxyRefused(String),
    /// The proxy rule could not decide (a bad proxy variable for an origin
    /// other than the base URL's).
    Rule(String),
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::TimedOut(t) => {
                write!(f, "connect timed out after {} ms", t.as_millis())
            }
            ConnectFailure::ProxyRefused(why) => write!(f, "the proxy refused the tunnel: {why}"),
            ConnectFailure::Rule(why) => write!(f, "no proxy decision: {why}"),
        }
    }
}

impl std::error::Error for ConnectFailure {}

/// A TCP connection, directly to the server, through a CONNECT tunnel, or
/// to a forwarding proxy (then hyper writes absolute-form request targets).
pub(crate) struct Conn {
    io: TokioIo<TcpStream>,
    forward_proxy: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let c = self.io.connected();
        if self.forward_proxy { c.proxy(true) } else { c }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

/// Opens TCP connections, through the proxy the core's rule picks.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxy: Arc<ProxyRules>,
}

impl ProxyConnector {
    pub(crate) fn new(proxy: Arc<ProxyRules>) -> Self {
        let mut http = HttpConnector::new();
        // The TLS layer above handles https; this one only opens TCP.
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        Self { http, proxy }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = Conn;
    type Error = BoxError;
    type Future = BoxFuture<Conn>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let decision = self.proxy.route(&dst);
        let mut http = self.http.clone();
        Box::pin(async move {
            let host = dst.host().unwrap_or_default().to_owned();
            let port = dst.port_u16();
            let route = match decision {
                Ok(ProxyDecision::Proxy(route)) => route,
                Ok(_) => {
                    tracing::trace!(%host, port, "connecting");
                    let io = http.call(dst).await?;
                    return Ok(Conn {
                        io,
                        forward_proxy: false,
                    });
                }
                Err(e) => {
                    return Err(ConnectFailure::Rule(format!("{} {}", e.field, e.message)).into());
                }
            };
            let proxy = &route.proxy;
            let proxy_host = proxy.host().to_owned();
            match route.via {
                Via::Connect => {
                    tracing::trace!(%host, port, proxy = %proxy_host, "connecting through a CONNECT tunnel");
                    let mut tunnel = Tunnel::new(proxy.uri(), http);
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth);
                    }
                    let io = tunnel.call(dst).await.map_err(|e| -> BoxError {
                        // Without a source the proxy itself answered "no".
                        if std::error::Error::source(&e).is_some() {
                            e.into()
                        } else {
                            let why = e.to_string();
                            let why = why.strip_prefix("tunnel error: ").unwrap_or(&why);
                            ConnectFailure::ProxyRefused(why.to_owned()).into()
                        }
                    })?;
                    Ok(Conn {
                        io,
                        forward_proxy: false,
                    })
                }
                Via::AbsoluteForm => {
                    tracing::trace!(%host, port, proxy = %proxy_host, "connecting to a forwarding proxy");
                    let io = http.call(proxy.uri()).await?;
                    Ok(Conn {
                        io,
                        forward_proxy: true,
                    })
                }
                _ => {
                    let scheme = proxy.scheme();
                    tracing::trace!(%host, port, proxy = %proxy_host, scheme = scheme.as_str(), "connecting through a SOCKS proxy");
                    let local_dns = !scheme.remote_dns();
                    let dst = with_port(dst);
                    let refused =
                        |e: &(dyn std::error::Error + Send + Sync + 'static)| -> BoxError {
                            match e.source() {
                                Some(inner) => inner.to_string().into(),
                                None => ConnectFailure::ProxyRefused(e.to_string()).into(),
                            }
                        };
                    let io = if matches!(scheme, ProxyScheme::Socks5 | ProxyScheme::Socks5h) {
                        let mut s = SocksV5::new(proxy.uri(), http).local_dns(local_dns);
                        if let Some(user) = proxy.username() {
                            s = s.with_auth(
                                user.to_owned(),
                                proxy.password().unwrap_or("").to_owned(),
                            );
                        }
                        s.call(dst).await.map_err(|e| refused(&e))?
                    } else {
                        SocksV4::new(proxy.uri(), http)
                            .local_dns(local_dns)
                            .call(dst)
                            .await
                            .map_err(|e| refused(&e))?
                    };
                    Ok(Conn {
                        io,
                        forward_proxy: false,
                    })
                }
            }
        })
    }
}

/// `dst` with its port written out: the SOCKS connectors assume 443 when
/// there is none.
fn with_port(dst: Uri) -> Uri {
    if dst.port().is_some() {
        return dst;
    }
    let port = if dst.scheme() == Some(&Scheme::HTTPS) {
        443
    } else {
        80
    };
    let Some(host) = dst.host() else {
        return dst;
    };
    let authority = format!("{host}:{port}");
    let mut parts = dst.clone().into_parts();
    match authority.parse() {
        Ok(a) => {
            parts.authority = Some(a);
            Uri::from_parts(parts).unwrap_or(dst)
        }
        Err(_) => dst,
    }
}

/// The whole connector: proxy, TLS and the connect timeout over both.
#[derive(Clone)]
pub(crate) struct Connector {
    inner: HttpsConnector<ProxyConnector>,
    timeout: Duration,
}

impl Connector {
    pub(crate) fn new(inner: HttpsConnector<ProxyConnector>, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

impl Service<Uri> for Connector {
    type Response = MaybeHttpsStream<Conn>;
    type Error = BoxError;
    type Future = BoxFuture<MaybeHttpsStream<Conn>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(r) => r,
                Err(_) => Err(ConnectFailure::TimedOut(timeout).into()),
            }
        })
    }
}
