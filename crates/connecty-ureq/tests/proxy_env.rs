//! The proxy from the environment, as curl reads it.
//!
//! The environment is process-wide, and `std::env::set_var` is `unsafe` in
//! edition 2024 (this workspace forbids `unsafe`). So the test never changes
//! its own environment: it starts the loopback server and proxy, then runs
//! this same binary again as a child for each scenario, with the proxy
//! variables set on the child's command line. The child builds a client
//! and calls `health`; the parent checks what the server and the proxy saw.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::{Proxy, Server, fake_api, pki};
use connecty_ureq::ClientBuilder;
use connecty_ureq::connecty_proto::{ProxySetting, RetryPolicy};

const TEST: &str = "proxy_from_the_environment_as_curl_reads_it";
const CHILD: &str = "CONNECTY_UREQ_TEST_CHILD";
const BASE: &str = "CONNECTY_UREQ_TEST_BASE";
const CA: &str = "CONNECTY_UREQ_TEST_CA";
const DISABLED: &str = "CONNECTY_UREQ_TEST_PROXY_DISABLED";

/// Every variable the transport reads for proxies.
const PROXY_VARS: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// In the child: build a client from the environment and call health.
/// Prints `ok` or the build/health error.
fn child() {
    let base = std::env::var(BASE).unwrap();
    let mut b = ClientBuilder::new()
        .base_url(&base)
        .unwrap()
        .credentials("my-client", "my-secret")
        .unwrap()
        .retry(RetryPolicy::none());
    if let Ok(ca) = std::env::var(CA) {
        b = b.add_root_certificate_pem(ca.as_bytes());
    }
    if std::env::var_os(DISABLED).is_some() {
        b = b.proxy(ProxySetting::Disabled);
    }
    match b.build().and_then(|c| c.health()) {
        Ok(()) => println!("CHILD-RESULT ok"),
        Err(e) => println!("CHILD-RESULT {e}"),
    }
}

/// Runs the child with `vars` (and no other proxy variable); returns what
/// it printed after `CHILD-RESULT `.
fn run_child(base: &str, vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", TEST, "--nocapture", "--test-threads=1"]);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    cmd.env(CHILD, "1").env(BASE, base);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"))
        .to_string()
}

#[test]
fn proxy_from_the_environment_as_curl_reads_it() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let server = Server::start(fake_api(0));
    let proxy = Proxy::start(false);
    let port = server.port();
    let direct = format!("http://127.0.0.1:{port}");
    let tunnel = format!("127.0.0.1:{port}");
    let dead = "http://127.0.0.1:9";
    let p = proxy.url();

    // http:// uses HTTP_PROXY (not HTTPS_PROXY), through a CONNECT tunnel.
    let r = run_child(&direct, &[("HTTP_PROXY", &p), ("HTTPS_PROXY", dead)]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.targets(), [tunnel]);
    assert_eq!(server.count("/v1/health"), 1);

    // Lower case wins over upper case.
    let r = run_child(&direct, &[("http_proxy", &p), ("HTTP_PROXY", dead)]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.targets().len(), 2);

    // ALL_PROXY when the scheme has no variable.
    let r = run_child(&direct, &[("ALL_PROXY", &p)]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.targets().len(), 3);

    // A host on NO_PROXY goes direct.
    let r = run_child(
        &format!("http://localhost:{port}"),
        &[("HTTP_PROXY", dead), ("NO_PROXY", "example.com, localhost")],
    );
    assert_eq!(r, "ok");
    let r = run_child(
        &direct,
        &[("HTTP_PROXY", dead), ("no_proxy", "10.0.0.0/8,127.0.0.0/8")],
    );
    assert_eq!(r, "ok");
    assert_eq!(proxy.targets().len(), 3, "the proxy saw a NO_PROXY host");

    // ProxySetting::Disabled ignores the environment.
    let r = run_child(&direct, &[("HTTP_PROXY", dead), (DISABLED, "1")]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.targets().len(), 3);
    assert_eq!(server.count("/v1/health"), 6);

    // A dead proxy is a connect error: the request went nowhere else.
    let r = run_child(&direct, &[("HTTP_PROXY", dead)]);
    assert!(r.starts_with("cannot reach "), "{r}");
    assert_eq!(server.count("/v1/health"), 6);

    // A proxy URL the transport cannot use fails the build, naming the
    // variable, never its value.
    let r = run_child(&direct, &[("HTTP_PROXY", "gopher://user:hunter2@proxy:70")]);
    assert!(r.contains("HTTP_PROXY") && !r.contains("hunter2"), "{r}");

    // https:// uses HTTPS_PROXY and tunnels TLS end to end.
    let pki = pki(&["connecty.test"]);
    let tls = Server::start_tls(Arc::clone(&pki.server), fake_api(0));
    let r = run_child(
        &format!("https://connecty.test:{}", tls.port()),
        &[("HTTPS_PROXY", &p), ("HTTP_PROXY", dead), (CA, &pki.ca_pem)],
    );
    assert_eq!(r, "ok");
    assert_eq!(
        proxy.targets().last().unwrap(),
        &format!("connecty.test:{}", tls.port())
    );
    assert_eq!(tls.count("/v1/health"), 1);
}
