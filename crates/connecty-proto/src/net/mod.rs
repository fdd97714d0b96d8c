//! The network rules every transport shares, as pure functions.
//!
//! A transport (connecty-hyper, connecty-ureq) owns sockets, TLS and its
//! HTTP library; what it *decides* is written once here, table-tested, and
//! called by both:
//!
//! | rule | home |
//! |---|---|
//! | which proxy a request goes through, and how (`CONNECT`, absolute-form, SOCKS) | [`ProxyRules::route`] / [`proxy_for`] |
//! | the proxy variables and their precedence (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, lower case first, CGI safety) | [`ProxyEnv`], [`ProxyRules::route`] |
//! | which hosts go around the proxy (`NO_PROXY`) | [`NoProxy`] |
//! | what a proxy URL may be, its default port, its credentials | [`ProxyUrl`] |
//! | which extra root certificates are accepted, and the one message that refuses a bundle | [`parse_root_certificates`] |
//! | the words of transport failures, and the hint for a certificate problem | [`failure`] |
//! | how percent-escapes decode (proxy credentials, query strings) | [`percent_decode`] |
//! | how HTTP dates read and print (`Date`, `Retry-After`) | [`parse_http_date`] / [`format_http_date`] |
//!
//! The rules and the reason for each choice are in `docs/architecture.md`
//! ("Network rules").

mod base64;
pub(crate) mod certificate;
pub mod failure;
mod http_date;
mod no_proxy;
mod pem;
mod percent;
pub(crate) mod proxy;
mod proxy_url;

pub use certificate::CertificateProblem;
pub use http_date::{format_http_date, parse_http_date};
pub use no_proxy::NoProxy;
pub use pem::{ROOT_CERTIFICATE_FIELD, parse_root_certificates};
pub use percent::{Plus, percent_decode};
pub use proxy::{ProxyDecision, ProxyEnv, ProxyRoute, ProxyRules, Via, proxy_for};
pub use proxy_url::{ProxyScheme, ProxyUrl};
