//! The proxy variables of the process environment reach the core's rule.
//!
//! The rule itself (precedence, `NO_PROXY` forms, CGI safety) is
//! table-tested in `connecty_proto::net`; here the environment is real.
//! The environment is process-wide, and `std::env::set_var` is `unsafe` in
//! edition 2024 (this workspace forbids `unsafe`). So the test never changes
//! its own environment: it starts the loopback servers and proxy, then runs
//! this same binary again as a child for each scenario, with the proxy
//! variables set on the child's command line. The child builds a client
//! and calls `health`; the parent checks what the server and the proxy saw.

use std::process::Command;
use std::sync::Arc;

use connecty_testkit::net::{FakeApi, TestCa, TestProxy, client_settings};
use connecty_ureq::ClientBuilder;
use connecty_ureq::connecty_proto::{ProxySetting, RetryPolicy};

const TEST: &str = "proxy_from_the_environment";
const CHILD: &str = "CONNECTY_UREQ_TEST_CHILD";
const BASE: &str = "CONNECTY_UREQ_TEST_BASE";
const DISABLED: &str = "CONNECTY_UREQ_TEST_PROXY_DISABLED";
/// The parent's test CA: the child's own `TestCa::shared()` is another.
const CA: &str = "CONNECTY_UREQ_TEST_CA";

/// Every variable the rule reads.
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
    let mut settings = client_settings(&base);
    settings.proxy = if std::env::var_os(DISABLED).is_some() {
        ProxySetting::Disabled
    } else {
        ProxySetting::FromEnv
    };
    let b = ClientBuilder::from_settings(settings)
        .retry(RetryPolicy::none())
        .add_root_certificate_pem(std::env::var(CA).unwrap().as_bytes());
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
    cmd.env(CHILD, "1")
        .env(BASE, base)
        .env(CA, TestCa::shared().ca_pem());
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
fn proxy_from_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let api = Arc::new(FakeApi::default());
    let tls = api.serve_tls(TestCa::shared().loopback()).unwrap();
    let plain = api.serve().unwrap();
    let proxy = TestProxy::start().unwrap();
    let p = proxy.url();
    let dead = "http://127.0.0.1:9";
    // A name only the proxy resolves: a request that went direct fails.
    let https = format!("https://connecty.test:{}", tls.port());
    let direct = tls.url();

    // https:// uses HTTPS_PROXY (lower case first), through a CONNECT tunnel.
    let r = run_child(
        &https,
        &[
            ("https_proxy", &p),
            ("HTTPS_PROXY", dead),
            ("HTTP_PROXY", dead),
        ],
    );
    assert_eq!(r, "ok");
    assert_eq!(proxy.tunnels(), [format!("connecty.test:{}", tls.port())]);

    // ALL_PROXY when the scheme has no variable.
    let r = run_child(&https, &[("ALL_PROXY", &p)]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.tunnels().len(), 2);

    // NO_PROXY: a host:port entry goes around the proxy (issue 12: ureq
    // and hyper now agree), so does a CIDR range.
    for no_proxy in [
        format!("127.0.0.1:{}", tls.port()),
        "10.0.0.0/8,127.0.0.0/8".into(),
    ] {
        let r = run_child(&direct, &[("HTTPS_PROXY", dead), ("NO_PROXY", &no_proxy)]);
        assert_eq!(r, "ok", "NO_PROXY={no_proxy}");
    }

    // ProxySetting::Disabled ignores the environment.
    let r = run_child(&direct, &[("HTTPS_PROXY", dead), (DISABLED, "1")]);
    assert_eq!(r, "ok");
    assert_eq!(proxy.tunnels().len(), 2);

    // A dead proxy is a connect error naming the proxy and the variable.
    let r = run_child(&direct, &[("HTTPS_PROXY", dead)]);
    assert!(
        r.starts_with("cannot reach https://127.0.0.1:")
            && r.contains(": through the proxy 127.0.0.1:9 (HTTPS_PROXY): "),
        "{r}"
    );

    // A plain http:// base URL through an HTTP proxy: the limit, named.
    let r = run_child(&plain.url(), &[("HTTP_PROXY", &p)]);
    assert!(
        r.contains("HTTP_PROXY") && r.contains("absolute-form"),
        "{r}"
    );
    // ... and through SOCKS it works.
    let r = run_child(
        &format!("http://connecty.test:{}", plain.port()),
        &[("ALL_PROXY", &proxy.socks5h_url())],
    );
    assert_eq!(r, "ok");
    assert_eq!(proxy.socks(), [format!("connecty.test:{}", plain.port())]);

    // A proxy URL the transport cannot use fails the build, naming the
    // variable, never its value.
    let r = run_child(&https, &[("HTTPS_PROXY", "gopher://user:hunter2@proxy:70")]);
    assert!(r.contains("HTTPS_PROXY") && !r.contains("hunter2"), "{r}");
    assert_eq!(tls.count("/v1/health"), 5);
}
