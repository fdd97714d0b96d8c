//! Proxy URLs: what a proxy URL may be, its default port and its
//! credentials.

use std::fmt;

use crate::error::InvalidInput;

/// The kinds of proxy a transport can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyScheme {
    /// `http://`: an HTTP forward proxy.
    Http,
    /// `socks4://`: SOCKS4, the client resolves the target's name.
    Socks4,
    /// `socks4a://`: SOCKS4a, the proxy resolves the name.
    Socks4a,
    /// `socks5://`: SOCKS5, the client resolves the name (as curl).
    Socks5,
    /// `socks5h://`: SOCKS5, the proxy resolves the name.
    Socks5h,
}

impl ProxyScheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScheme::Http => "http",
            ProxyScheme::Socks4 => "socks4",
            ProxyScheme::Socks4a => "socks4a",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        }
    }

    /// The port when the URL names none: 80 for http, 1080 for SOCKS.
    pub fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            _ => 1080,
        }
    }

    /// Whether the proxy, not the client, resolves the target's name.
    pub fn remote_dns(self) -> bool {
        matches!(self, ProxyScheme::Socks4a | ProxyScheme::Socks5h)
    }

    /// Whether this is a SOCKS proxy.
    pub fn is_socks(self) -> bool {
        self != ProxyScheme::Http
    }
}

/// A parsed proxy URL: scheme, host, port and optional credentials.
///
/// `Debug` and `Display` hide the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    scheme: ProxyScheme,
    /// As in a URI: IPv6 in brackets.
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<String>,
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let creds = if self.username.is_some() || self.password.is_some() {
            "[redacted]@"
        } else {
            ""
        };
        write!(f, "{}://{creds}{}", self.scheme.as_str(), self.authority())
    }
}

/// Percent-decoded user information (`+` is a plus sign there).
fn decode_userinfo(field: &'static str, s: &str) -> Result<String, InvalidInput> {
    super::percent::percent_decode(s, super::percent::Plus::Literal).ok_or_else(|| {
        InvalidInput::new(
            field,
            "has credentials that are not valid percent-encoded UTF-8",
        )
    })
}

impl ProxyUrl {
    /// Parses a proxy URL: `[scheme://][user[:password]@]host[:port][/]`.
    /// `field` names the setting or variable in the error, which never
    /// repeats the URL (it may hold a password).
    pub fn parse(field: &'static str, url: &str) -> Result<ProxyUrl, InvalidInput> {
        let bad = |why: &str| InvalidInput::new(field, why.to_string());
        const EXPECTED: &str = "expected http://host:port, socks5://host:port, socks5h://host:port, socks4://host:port or socks4a://host:port";
        let url = url.trim();
        if url.is_empty() || url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad(&format!("is not a proxy URL: {EXPECTED}")));
        }
        let (scheme, rest) = match url.split_once("://") {
            Some((s, rest)) => (s.to_ascii_lowercase(), rest),
            None => ("http".to_string(), url),
        };
        let scheme = match scheme.as_str() {
            "http" => ProxyScheme::Http,
            "socks4" => ProxyScheme::Socks4,
            "socks4a" => ProxyScheme::Socks4a,
            "socks5" => ProxyScheme::Socks5,
            "socks5h" => ProxyScheme::Socks5h,
            "https" => {
                return Err(bad(
                    "is an https:// proxy URL: TLS to the proxy is not supported; use http://host:port (https requests still run TLS end to end through the CONNECT tunnel)",
                ));
            }
            _ => return Err(bad(&format!("has an unsupported scheme: {EXPECTED}"))),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if !matches!(&rest[end..], "" | "/") {
            return Err(bad(&format!(
                "has a path: a proxy URL is scheme, host and port only ({EXPECTED})"
            )));
        }
        let authority = &rest[..end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, pass) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                (
                    Some(decode_userinfo(field, user)?),
                    pass.map(|p| decode_userinfo(field, p)).transpose()?,
                )
            }
        };
        let (host, port) = if let Some(inside) = hostport.strip_prefix('[') {
            let (ip, after) = inside
                .split_once(']')
                .ok_or_else(|| bad("has an unclosed [ in its host"))?;
            if ip.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("has an invalid IPv6 address in brackets"));
            }
            (format!("[{ip}]"), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        let port = match port {
            None | Some("") => scheme.default_port(),
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("has a port that is not a number from 1 to 65535"))?,
        };
        let valid_host = !host.is_empty()
            && (host.starts_with('[')
                || host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')));
        if !valid_host {
            return Err(bad(&format!("has no valid host: {EXPECTED}")));
        }
        Ok(ProxyUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            username,
            password,
        })
    }

    /// The kind of proxy.
    pub fn scheme(&self) -> ProxyScheme {
        self.scheme
    }

    /// The host, as in a URI (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `scheme://host:port`, without credentials.
    pub fn uri(&self) -> http::Uri {
        // Host and port were validated by `parse`.
        format!("{}://{}", self.scheme.as_str(), self.authority())
            .parse()
            .unwrap_or_else(|_| http::Uri::from_static("http://invalid.invalid"))
    }

    /// The user name, percent-decoded.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password, percent-decoded. A secret: never log it.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// `Proxy-Authorization: Basic ...` for an HTTP proxy with credentials,
    /// marked sensitive.
    pub fn basic_auth(&self) -> Option<http::HeaderValue> {
        if self.username.is_none() && self.password.is_none() {
            return None;
        }
        let pair = format!(
            "{}:{}",
            self.username.as_deref().unwrap_or(""),
            self.password.as_deref().unwrap_or("")
        );
        let mut v = http::HeaderValue::try_from(format!(
            "Basic {}",
            super::base64::encode(pair.as_bytes())
        ))
        .ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}
