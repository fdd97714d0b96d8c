//! Proxy selection: for a setting, an environment and a target URL, go
//! direct or through which proxy, and how.
//!
//! # The rule
//!
//! Anchored on curl (`man curl`, "ENVIRONMENT"), with Go's
//! `golang.org/x/net/http/httpproxy` where curl is silent. One decision per
//! point where they differ, each with its reason:
//!
//! | point | decision | curl | Go | why |
//! |---|---|---|---|---|
//! | `https://` target | `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` | same | no `ALL_PROXY` | SOCKS users set `ALL_PROXY` for curl |
//! | `http://` target | `http_proxy`, `HTTP_PROXY`, then `all_proxy`, `ALL_PROXY` | ignores `HTTP_PROXY` | reads it | most tools and CI systems set the upper-case name |
//! | both cases set | lower case wins | same | upper case wins | curl is what the crate docs promise |
//! | CGI (`REQUEST_METHOD` set) | `HTTP_PROXY` ignored | never read | request fails | a request header `Proxy:` arrives as `HTTP_PROXY` ("httpoxy"); the lower-case name cannot be injected |
//! | empty or blank variable | unset | same | same | |
//! | `NO_PROXY` | see [`NoProxy`]; `no_proxy` wins | same | `NO_PROXY` wins | |
//! | `localhost`, loopback | proxied unless listed | same | never proxied | one anchor: curl |
//! | proxy URL without scheme | `http://` | same | same | |
//! | proxy URL without port | 80 for `http`, 1080 for SOCKS | 1080 for all | 80 / 1080 | the scheme's own port, as Go, ureq and hyper-util |
//! | `https://` proxy URL (TLS to the proxy) | refused at build | supported | supported | neither transport speaks TLS to a proxy |
//! | a proxy variable that cannot be parsed | build fails, naming the variable, never its value | request fails | request fails | fail fast; only the variable that applies to the base URL is read |
//!
//! How a proxied request travels ([`Via`]): an `https://` target through an
//! `http://` proxy opens a `CONNECT host:port` tunnel and runs TLS end to
//! end; an `http://` target sends the request itself to the proxy with an
//! absolute-form target (`GET http://host:port/path`, RFC 9112 §3.2.2), as
//! curl does, since most forward proxies allow `CONNECT` to port 443 only; a
//! SOCKS proxy tunnels either.
//!
//! The environment is read once, when a transport is built
//! ([`ProxyRules::new`]); [`ProxySetting::Vars`] gives the variables
//! explicitly instead.

use std::fmt;

use crate::error::InvalidInput;
use crate::net::{NoProxy, ProxyScheme, ProxyUrl};

/// Every variable the proxy rule reads.
const VARIABLES: [&str; 9] = [
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// The proxy variables of an environment, captured once: `HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (each in both cases) and
/// `REQUEST_METHOD`. Blank values count as unset.
///
/// `Debug` hides the credentials in proxy URLs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    vars: Vec<(&'static str, String)>,
}

impl fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.vars {
            map.entry(name, &redact_userinfo(value));
        }
        map.finish()
    }
}

impl ProxyEnv {
    /// An empty environment: every request goes direct.
    pub fn new() -> Self {
        Self::default()
    }

    /// Captures the proxy variables through `lookup` (pass
    /// `|k| std::env::var(k).ok()` for the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let vars = VARIABLES
            .iter()
            .filter_map(|&name| {
                lookup(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v.trim().to_string()))
            })
            .collect();
        Self { vars }
    }

    /// Sets `name` (one of the variables above, in either case) to `value`.
    /// Other names are ignored, as the rule never reads them.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        let Some(&name) = VARIABLES.iter().find(|n| **n == name) else {
            return self;
        };
        let value = value.into();
        self.vars.retain(|(n, _)| *n != name);
        if !value.trim().is_empty() {
            self.vars.push((name, value.trim().to_string()));
        }
        self
    }

    /// The value of `name`, when set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first of `names` that is set: its name and value.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, &str)> {
        names.iter().find_map(|&n| self.get(n).map(|v| (n, v)))
    }
}

/// How a proxied request travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Via {
    /// `CONNECT host:port` to an HTTP proxy, then TLS end to end: every
    /// `https://` target.
    Connect,
    /// The request itself to an HTTP proxy, with an absolute-form target
    /// (`GET http://host:port/path HTTP/1.1`) and the proxy's credentials
    /// on it: every `http://` target, as curl.
    AbsoluteForm,
    /// A SOCKS tunnel, for either scheme.
    Socks,
}

/// A request's way through a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyRoute {
    /// The proxy.
    pub proxy: ProxyUrl,
    /// How the request travels through it.
    pub via: Via,
    /// Where the proxy came from: `"proxy"` for [`ProxySetting::Url`], else
    /// the variable's name, such as `"HTTPS_PROXY"`.
    pub source: &'static str,
}

/// Whether a request goes direct or through a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyDecision {
    /// Straight to the target.
    Direct,
    /// Through a proxy.
    Proxy(ProxyRoute),
}

impl ProxyDecision {
    /// The route, when proxied.
    pub fn route(&self) -> Option<&ProxyRoute> {
        match self {
            ProxyDecision::Direct => None,
            ProxyDecision::Proxy(r) => Some(r),
        }
    }
}

/// A client's proxy rule: its [`ProxySetting`] with the environment
/// captured. Build it once, then ask [`route`](Self::route) per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRules {
    /// Always direct.
    Disabled,
    /// Always through this proxy; `NO_PROXY` does not apply.
    Fixed(ProxyUrl),
    /// As these variables say.
    Env(ProxyEnv),
}

impl ProxyRules {
    /// The rule of `setting`; [`ProxySetting::FromEnv`] reads the proxy
    /// variables through `lookup` now. Fails for a [`ProxySetting::Url`]
    /// that is not a usable proxy URL (variables are checked by
    /// [`route`](Self::route), when they apply).
    pub fn new(
        setting: &ProxySetting,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InvalidInput> {
        match setting {
            ProxySetting::Disabled => Ok(ProxyRules::Disabled),
            ProxySetting::Url(url) => Ok(ProxyRules::Fixed(ProxyUrl::parse("proxy", url)?)),
            ProxySetting::Vars(env) => Ok(ProxyRules::Env(env.clone())),
            // FromEnv, and whatever a later version adds: the default.
            _ => Ok(ProxyRules::Env(ProxyEnv::from_lookup(lookup))),
        }
    }

    /// A short description without any URL (it may hold a password).
    pub fn describe(&self) -> &'static str {
        match self {
            ProxyRules::Disabled => "disabled",
            ProxyRules::Fixed(_) => "fixed",
            ProxyRules::Env(_) => "from environment",
        }
    }

    /// The decision for a request to `target` (an `http://` or `https://`
    /// URI). Fails when the variable that applies holds no usable proxy
    /// URL; the error names the variable.
    pub fn route(&self, target: &http::Uri) -> Result<ProxyDecision, InvalidInput> {
        let https = target
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        let (proxy, source) = match self {
            ProxyRules::Disabled => return Ok(ProxyDecision::Direct),
            ProxyRules::Fixed(p) => (p.clone(), "proxy"),
            ProxyRules::Env(env) => {
                let cgi = env.get("REQUEST_METHOD").is_some();
                let scheme_names: &[&'static str] = match (https, cgi) {
                    (true, _) => &["https_proxy", "HTTPS_PROXY"],
                    (false, false) => &["http_proxy", "HTTP_PROXY"],
                    (false, true) => &["http_proxy"],
                };
                let Some((name, value)) = env
                    .first(scheme_names)
                    .or_else(|| env.first(&["all_proxy", "ALL_PROXY"]))
                else {
                    return Ok(ProxyDecision::Direct);
                };
                let host = target.host().unwrap_or_default();
                let port = target.port_u16().unwrap_or(if https { 443 } else { 80 });
                let no_proxy = env
                    .first(&["no_proxy", "NO_PROXY"])
                    .map(|(_, v)| NoProxy::parse(v))
                    .unwrap_or_default();
                if no_proxy.matches(host, port) {
                    return Ok(ProxyDecision::Direct);
                }
                (ProxyUrl::parse(name, value)?, name)
            }
        };
        let via = match (proxy.scheme(), https) {
            (ProxyScheme::Http, true) => Via::Connect,
            (ProxyScheme::Http, false) => Via::AbsoluteForm,
            _ => Via::Socks,
        };
        Ok(ProxyDecision::Proxy(ProxyRoute { proxy, via, source }))
    }
}

/// The decision for one request: [`ProxyRules::new`] then
/// [`ProxyRules::route`]. Pure: `lookup` stands for the environment.
///
/// ```
/// use connecty_proto::ProxySetting;
/// use connecty_proto::net::{proxy_for, ProxyDecision, Via};
///
/// let env = |k: &str| match k {
///     "HTTPS_PROXY" => Some("http://proxy.corp:3128".to_string()),
///     "NO_PROXY" => Some(".internal.corp".to_string()),
///     _ => None,
/// };
/// let target = "https://api.eu1.connecty-ai.com/v1/health".parse()?;
/// let ProxyDecision::Proxy(route) = proxy_for(&ProxySetting::FromEnv, env, &target)? else {
///     panic!("proxied");
/// };
/// assert_eq!((route.proxy.authority().as_str(), route.via), ("proxy.corp:3128", Via::Connect));
///
/// let inside = "https://gateway.internal.corp/v1/health".parse()?;
/// assert_eq!(proxy_for(&ProxySetting::FromEnv, env, &inside)?, ProxyDecision::Direct);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn proxy_for(
    setting: &ProxySetting,
    lookup: impl Fn(&str) -> Option<String>,
    target: &http::Uri,
) -> Result<ProxyDecision, InvalidInput> {
    ProxyRules::new(setting, lookup)?.route(target)
}

/// How the transport finds a proxy. The rule itself (variables,
/// precedence, `NO_PROXY`, how each scheme travels) is
/// [`net::ProxyRules`](crate::net::ProxyRules), the same for every
/// transport.
///
/// `Debug` hides any `user:password@` in a proxy URL.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxySetting {
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY`, as curl
    /// reads them (lower-case names too), read when the client is built.
    /// The default.
    #[default]
    FromEnv,
    /// No proxy, whatever the environment says.
    Disabled,
    /// This proxy URL (`http://host:port`, `socks5h://host:port`, ...), for
    /// every request; `NO_PROXY` does not apply.
    Url(String),
    /// These variables instead of the process environment's, read by the
    /// same rule as [`FromEnv`](Self::FromEnv): for a proxy configuration
    /// kept in a file, or a test.
    Vars(ProxyEnv),
}

impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Disabled => f.write_str("Disabled"),
            ProxySetting::Url(url) => f.debug_tuple("Url").field(&redact_userinfo(url)).finish(),
            ProxySetting::Vars(env) => f.debug_tuple("Vars").field(env).finish(),
        }
    }
}

/// `scheme://[redacted]@host...` for a URL carrying credentials.
pub fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let host_and_path = &rest[at + 1..];
            match scheme {
                Some(s) => format!("{s}://[redacted]@{host_and_path}"),
                None => format!("[redacted]@{host_and_path}"),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
