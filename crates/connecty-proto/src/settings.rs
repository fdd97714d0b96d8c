//! Settings shared by the transports' builders, and reading them from the
//! environment.
//!
//! `connecty-hyper` and `connecty-ureq` wrap [`Settings`] in builders with
//! the same method names, so switching transports changes one line.

use std::time::Duration;

use crate::config::{
    BaseUrl, ClientConfig, Credentials, DEFAULT_BODY_LIMIT, DEFAULT_DEADLINE,
    DEFAULT_REQUEST_TIMEOUT, Region,
};
use crate::error::InvalidInput;
use crate::net::proxy::ProxySetting;
use crate::schedule::{PollSchedule, RetryPolicy};

/// Environment variable holding the client id.
pub const ENV_CLIENT_ID: &str = "CONNECTY_CLIENT_ID";
/// Environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "CONNECTY_CLIENT_SECRET";
/// Environment variable holding a custom base URL (wins over the region).
pub const ENV_BASE_URL: &str = "CONNECTY_BASE_URL";
/// Environment variable holding the region (`eu1` or `us1`).
pub const ENV_REGION: &str = "CONNECTY_REGION";

/// Default connect timeout: 5 s, as the OpenAI Python SDK's.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Default idle timeout of pooled connections: 15 s, below the 60-75 s
/// keep-alive of common proxies and load balancers.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything a transport builder can set. Every field has a documented
/// default.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Where requests go. Default: [`Region::Eu1`].
    pub base_url: BaseUrl,
    /// The client credentials. Required for everything but health.
    pub credentials: Option<Credentials>,
    /// Connect timeout (TCP, TLS handshake, proxy CONNECT). Default 5 s.
    pub connect_timeout: Duration,
    /// Timeout of one request, headers and whole body. Default 60 s.
    pub request_timeout: Duration,
    /// The overall deadline of `wait`/`ask_and_wait` when the call sets
    /// none. Default 20 min.
    pub default_deadline: Duration,
    /// Largest response body accepted, after gzip decoding. Default 256 MiB.
    pub body_limit: u64,
    /// How long an idle pooled connection is kept. Default 15 s.
    pub pool_idle_timeout: Duration,
    /// Extra trusted root certificates, PEM, for private gateways.
    pub extra_root_certificates: Vec<Vec<u8>>,
    /// Appended to `User-Agent: connecty-rs/<version>`.
    pub user_agent_suffix: Option<String>,
    /// The proxy. Default: from the environment.
    pub proxy: ProxySetting,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Poll schedule.
    pub poll: PollSchedule,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            base_url: Region::Eu1.base_url(),
            credentials: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            default_deadline: DEFAULT_DEADLINE,
            body_limit: DEFAULT_BODY_LIMIT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            extra_root_certificates: Vec::new(),
            user_agent_suffix: None,
            proxy: ProxySetting::FromEnv,
            retry: RetryPolicy::default(),
            poll: PollSchedule::default(),
        }
    }
}

impl Settings {
    /// Reads `CONNECTY_CLIENT_ID`, `CONNECTY_CLIENT_SECRET`,
    /// `CONNECTY_BASE_URL` and `CONNECTY_REGION` through `lookup` (pass
    /// `|k| std::env::var(k).ok()`). A missing credential is an error naming
    /// the variable. `CONNECTY_BASE_URL` wins over `CONNECTY_REGION`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, InvalidInput> {
        let mut s = Settings::default();
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        if let Some(region) = get(ENV_REGION) {
            s.base_url = region
                .parse::<Region>()
                .map_err(|e| InvalidInput::new(ENV_REGION, e.message))?
                .base_url();
        }
        if let Some(url) = get(ENV_BASE_URL) {
            s.base_url =
                BaseUrl::parse(&url).map_err(|e| InvalidInput::new(ENV_BASE_URL, e.message))?;
        }
        let id = get(ENV_CLIENT_ID).ok_or_else(|| {
            InvalidInput::new(
                ENV_CLIENT_ID,
                "is not set: export the client id ConnectyAI support issued",
            )
        })?;
        let secret = get(ENV_CLIENT_SECRET).ok_or_else(|| {
            InvalidInput::new(
                ENV_CLIENT_SECRET,
                "is not set: export the client secret ConnectyAI support issued",
            )
        })?;
        s.credentials = Some(Credentials::new(id, secret).map_err(|e| {
            let var = if e.field == "client_id" {
                ENV_CLIENT_ID
            } else {
                ENV_CLIENT_SECRET
            };
            InvalidInput::new(var, e.message)
        })?);
        Ok(s)
    }

    /// The core's configuration. Without credentials only `health` can
    /// succeed: token exchanges fail before anything is sent.
    pub fn client_config(&self) -> Result<ClientConfig, InvalidInput> {
        let mut c = ClientConfig::with_optional_credentials(
            self.base_url.clone(),
            self.credentials.clone(),
        );
        if let Some(suffix) = &self.user_agent_suffix {
            c = c.with_user_agent_suffix(suffix)?;
        }
        c.retry = self.retry;
        c.poll = self.poll;
        c.request_timeout = self.request_timeout;
        c.default_deadline = self.default_deadline;
        c.body_limit = self.body_limit;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn from_env_reads_all_four() {
        let s = Settings::from_lookup(env(&[
            ("CONNECTY_CLIENT_ID", "id"),
            ("CONNECTY_CLIENT_SECRET", "secret"),
            ("CONNECTY_REGION", "us1"),
        ]))
        .unwrap();
        assert_eq!(s.base_url, Region::Us1.base_url());
        assert_eq!(s.credentials.as_ref().unwrap().client_id(), "id");
        let s = Settings::from_lookup(env(&[
            ("CONNECTY_CLIENT_ID", "id"),
            ("CONNECTY_CLIENT_SECRET", "secret"),
            ("CONNECTY_REGION", "us1"),
            ("CONNECTY_BASE_URL", "http://127.0.0.1:9/x/"),
        ]))
        .unwrap();
        assert_eq!(
            s.base_url.join("/v1/health"),
            "http://127.0.0.1:9/x/v1/health"
        );
    }

    #[test]
    fn missing_credentials_name_the_variable() {
        let e = Settings::from_lookup(env(&[("CONNECTY_CLIENT_SECRET", "s")])).unwrap_err();
        assert_eq!(e.field, "CONNECTY_CLIENT_ID");
        let e = Settings::from_lookup(env(&[("CONNECTY_CLIENT_ID", "i")])).unwrap_err();
        assert_eq!(e.field, "CONNECTY_CLIENT_SECRET");
        let e = Settings::from_lookup(env(&[
            ("CONNECTY_CLIENT_ID", "i"),
            ("CONNECTY_CLIENT_SECRET", "hunter2\n"),
        ]))
        .unwrap_err();
        assert_eq!(e.field, "CONNECTY_CLIENT_SECRET");
        assert!(!e.to_string().contains("hunter2"));
        let e = Settings::from_lookup(env(&[("CONNECTY_REGION", "mars")])).unwrap_err();
        assert_eq!(e.field, "CONNECTY_REGION");
    }

    #[test]
    fn proxy_credentials_are_redacted_in_debug() {
        let s = Settings {
            proxy: ProxySetting::Url("http://user:hunter2@proxy.local:3128/".into()),
            ..Settings::default()
        };
        let d = format!("{s:?}");
        assert!(
            !d.contains("hunter2") && d.contains("proxy.local:3128"),
            "{d}"
        );
        use crate::net::proxy::redact_userinfo;
        assert_eq!(redact_userinfo("proxy:8080"), "proxy:8080");
        assert_eq!(redact_userinfo("a@b"), "[redacted]@b");
    }

    #[test]
    fn defaults() {
        let s = Settings::default();
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.body_limit, 256 * 1024 * 1024);
        assert!(s.pool_idle_timeout <= Duration::from_secs(15));
        assert_eq!(
            s.client_config().unwrap().request_timeout,
            Duration::from_secs(60)
        );
    }
}
