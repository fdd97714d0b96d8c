//! [`Stack`]: the emulator behind real nginx, with real tinyproxy beside
//! it: what a client meets in a corporate network, on loopback.

use std::time::Duration;

use connecty_proto::net::ProxyEnv;
use connecty_proto::{BaseUrl, Credentials, PollSchedule, ProxySetting, RetryPolicy, Settings};

use super::{Nginx, RealError, Tinyproxy};
use crate::net::TestCa;
use connecty_emulator::{Emulator, EmulatorHandle, Schedule};

/// The [`Emulator`] (quick schedule) behind [`Nginx`] (TLS with a fresh
/// [`TestCa`], HTTP/2, gzip), and a [`Tinyproxy`] that allows `CONNECT` to
/// nginx's port. Dropping it stops all three.
///
/// The proxy is used only when a client's settings say so: see
/// [`https_settings`](Self::https_settings) and
/// [`proxy_vars`](Self::proxy_vars).
pub struct Stack {
    /// The emulator, on plain HTTP.
    pub emulator: EmulatorHandle,
    /// The CA of nginx's certificate.
    pub ca: TestCa,
    /// nginx, on TLS, in front of the emulator.
    pub nginx: Nginx,
    /// tinyproxy.
    pub tinyproxy: Tinyproxy,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("nginx", &self.nginx)
            .field("tinyproxy", &self.tinyproxy)
            .finish_non_exhaustive()
    }
}

impl Stack {
    /// Starts all three on loopback.
    pub fn start() -> Result<Stack, RealError> {
        let emulator = Emulator::builder()
            .schedule(Schedule::QUICK)
            .start()
            .map_err(RealError::Emulator)?;
        let ca = TestCa::new();
        let nginx = Nginx::tls_in_front_of(emulator.addr(), &ca)?;
        let tinyproxy = Tinyproxy::start(&[nginx.port()])?;
        Ok(Stack {
            emulator,
            ca,
            nginx,
            tinyproxy,
        })
    }

    fn settings(&self, base_url: &str, proxy: ProxySetting) -> Settings {
        // Field by field: Settings is non-exhaustive.
        let mut s = Settings::default();
        s.base_url = BaseUrl::parse(base_url).expect("a loopback URL");
        s.credentials = Some(
            Credentials::new(self.emulator.client_id(), self.emulator.client_secret())
                .expect("the emulator's credentials are valid"),
        );
        s.extra_root_certificates = vec![self.ca.ca_pem().as_bytes().to_vec()];
        s.proxy = proxy;
        s.retry = RetryPolicy::none();
        s.poll = PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            cap: Duration::from_millis(40),
            ..PollSchedule::default()
        };
        s
    }

    /// Client settings for nginx's `https://127.0.0.1:<port>`: the
    /// emulator's credentials, nginx's CA trusted, `proxy`, no retries,
    /// quick polls.
    pub fn https_settings(&self, proxy: ProxySetting) -> Settings {
        self.settings(&self.nginx.url(), proxy)
    }

    /// The same for the emulator's own plain `http://127.0.0.1:<port>`.
    pub fn http_settings(&self, proxy: ProxySetting) -> Settings {
        self.settings(&self.emulator.base_url(), proxy)
    }

    /// A proxy environment naming tinyproxy in `HTTPS_PROXY` and
    /// `HTTP_PROXY`, and `no_proxy` in `NO_PROXY` when given.
    pub fn proxy_vars(&self, no_proxy: Option<&str>) -> ProxySetting {
        let mut env = ProxyEnv::new()
            .with("HTTPS_PROXY", self.tinyproxy.url())
            .with("HTTP_PROXY", self.tinyproxy.url());
        if let Some(n) = no_proxy {
            env = env.with("NO_PROXY", n);
        }
        ProxySetting::Vars(env)
    }

    /// `NO_PROXY` values that take nginx's URL around the proxy: the exact
    /// address, the address with nginx's port, a CIDR range, a list, `*`.
    pub fn bypassing_no_proxy(&self) -> Vec<String> {
        let port = self.nginx.port();
        vec![
            "127.0.0.1".into(),
            format!("127.0.0.1:{port}"),
            "127.0.0.0/8".into(),
            format!("example.com, localhost,[::1] 127.0.0.1:{port}"),
            "*".into(),
        ]
    }

    /// `NO_PROXY` values that do *not* match nginx's URL: another port, a
    /// name (names never match addresses), another range.
    pub fn proxied_no_proxy(&self) -> Vec<String> {
        vec![
            "127.0.0.1:1".into(),
            "localhost".into(),
            "10.0.0.0/8,.example.com".into(),
        ]
    }

    /// The line tinyproxy logs for a tunnel to nginx.
    pub fn tunnel_line(&self) -> String {
        format!("CONNECT 127.0.0.1:{} HTTP/1.1", self.nginx.port())
    }

    /// Asserts that nginx answered every request (at least `n`) with 200
    /// over `protocol` (`HTTP/2.0`, `HTTP/1.1`) after ALPN chose `alpn`
    /// (empty when the client offered none), and gzipped every results
    /// answer itself.
    ///
    /// # Panics
    ///
    /// When it did not.
    pub fn assert_nginx_served(&self, n: usize, protocol: &str, alpn: &str) {
        let log = self.nginx.access_log_with(n);
        assert!(log.len() >= n, "{log:?}");
        for line in &log {
            assert_eq!(
                (line.protocol.as_str(), line.alpn.as_str(), line.status),
                (protocol, alpn, 200),
                "{line:?}"
            );
        }
        // The emulator was asked for no compression: any gzip is nginx's.
        let results: Vec<_> = log.iter().filter(|l| l.uri.contains("/results")).collect();
        assert!(
            !results.is_empty() && results.iter().all(|l| l.gzip_ratio.is_some()),
            "{log:?}"
        );
    }

    /// Runs `health` for nginx's URL with tinyproxy in `HTTPS_PROXY` and
    /// each `NO_PROXY` form, and asserts that the
    /// [bypassing](Self::bypassing_no_proxy) ones went around tinyproxy and
    /// the [others](Self::proxied_no_proxy) through one tunnel each.
    ///
    /// # Panics
    ///
    /// When a call fails or a request went the wrong way.
    pub fn assert_no_proxy_forms(
        &self,
        health: impl Fn(Settings) -> Result<(), connecty_proto::Error>,
    ) {
        for no_proxy in self.bypassing_no_proxy() {
            health(self.https_settings(self.proxy_vars(Some(&no_proxy))))
                .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
            let seen = self.tinyproxy.requests();
            assert!(seen.is_empty(), "NO_PROXY={no_proxy}: {seen:?}");
        }
        let forms = self.proxied_no_proxy();
        for no_proxy in &forms {
            health(self.https_settings(self.proxy_vars(Some(no_proxy))))
                .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
        }
        let tunnels = self.tinyproxy.requests_with(forms.len());
        assert_eq!(tunnels, vec![self.tunnel_line(); forms.len()]);
    }

    /// Starts a second tinyproxy requiring Basic auth, runs `health` for
    /// nginx's URL through it with the right and a wrong password, and
    /// asserts that the first passes and the second is a connect error
    /// naming the proxy, without the password.
    ///
    /// # Panics
    ///
    /// When it is not so, or tinyproxy cannot start.
    pub fn assert_proxy_credentials(
        &self,
        health: impl Fn(Settings) -> Result<(), connecty_proto::Error>,
    ) {
        let guarded = Tinyproxy::with_basic_auth(&[self.nginx.port()], "alice", "s3cret")
            .unwrap_or_else(|e| panic!("{e}"));
        let through = |password: &str| {
            let url = format!("http://alice:{password}@127.0.0.1:{}", guarded.port());
            health(self.https_settings(ProxySetting::Url(url)))
        };
        through("s3cret").unwrap_or_else(|e| panic!("{e}\n{}", guarded.log()));
        let e = through("wrong-password").expect_err("a wrong password is refused");
        let refused = format!(
            "the proxy 127.0.0.1:{} (proxy) refused the tunnel",
            guarded.port()
        );
        match &e {
            connecty_proto::Error::Transport(t) => {
                assert_eq!(t.kind, connecty_proto::TransportErrorKind::Connect, "{e}");
                assert!(t.message.contains(&refused), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.to_string().contains("wrong-password"), "{e}");
    }
}
