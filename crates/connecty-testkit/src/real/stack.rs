//! [`Stack`]: the emulator behind real nginx, with real tinyproxy beside
//! it: what a client meets in a corporate network, on loopback.

use std::time::Duration;

use connecty_proto::net::ProxyEnv;
use connecty_proto::{BaseUrl, Credentials, PollSchedule, ProxySetting, RetryPolicy, Settings};

use super::{Nginx, RealError, Tinyproxy};
use crate::emulator::{Emulator, EmulatorHandle, Schedule};
use crate::net::TestCa;

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

/// The question the emulator knows best: the API reference's example.
pub const REFERENCE_QUESTION: &str = "list the top 5 countries with the most orders";

impl Stack {
    /// Starts all three on loopback.
    pub fn start() -> Result<Stack, RealError> {
        let emulator = Emulator::builder()
            .schedule(Schedule {
                pending: Duration::from_millis(50),
                in_progress: Duration::from_millis(100),
            })
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
}
