//! The proxy variables of the process environment reach the core's rule.
//!
//! The rule itself (precedence, `NO_PROXY` forms, CGI safety) is
//! table-tested in `connecty_proto::net`; here the environment is real.
//! This process's environment is never changed: each case runs this test
//! binary again as a child with its own variables, and the child builds
//! its client with `ClientBuilder::from_env()` and the default
//! `ProxySetting::FromEnv`.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use connecty_hyper::connecty_proto::{PollSchedule, ProxySetting};
use connecty_hyper::{ClientBuilder, WaitOptions};
use connecty_testkit::net::{FakeApi, Server, TestCa, TestProxy};
use connecty_testkit::values::{CLIENT_ID, CLIENT_SECRET};

const CHILD: &str = "CONNECTY_HYPER_TEST_CHILD";
const HTTPS_URL: &str = "CONNECTY_HYPER_TEST_HTTPS_URL";
const CA: &str = "CONNECTY_HYPER_TEST_CA";

const CLEARED: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
    "CONNECTY_CLIENT_ID",
    "CONNECTY_CLIENT_SECRET",
    "CONNECTY_BASE_URL",
    "CONNECTY_REGION",
];

/// Runs the child test with `vars`; panics with its output if it fails.
fn run_child(vars: &[(&str, String)]) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = Command::new(exe);
    cmd.args([
        "child_asks_with_the_environment",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for v in CLEARED {
        cmd.env_remove(v);
    }
    cmd.env(CHILD, "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the child runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the child test did not run:\n{text}"
    );
    assert!(!text.contains(CLIENT_SECRET), "secret leaked: {text}");
}

struct Servers {
    http: Server,
    https: Server,
}

fn servers() -> Servers {
    let api = Arc::new(FakeApi::default());
    Servers {
        http: api.serve().unwrap(),
        https: api.serve_tls(TestCa::shared().loopback()).unwrap(),
    }
}

fn base_vars(s: &Servers) -> Vec<(&'static str, String)> {
    vec![
        ("CONNECTY_CLIENT_ID", CLIENT_ID.to_owned()),
        ("CONNECTY_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("CONNECTY_BASE_URL", s.http.url()),
        (HTTPS_URL, s.https.url()),
        (CA, TestCa::shared().ca_pem().to_owned()),
    ]
}

#[test]
fn https_proxy_and_http_proxy_are_read_from_the_environment() {
    let s = servers();
    let proxy = TestProxy::start().unwrap();
    let mut vars = base_vars(&s);
    vars.push(("https_proxy", proxy.url()));
    vars.push(("HTTP_PROXY", proxy.url()));
    run_child(&vars);
    assert_eq!(proxy.tunnels(), [format!("127.0.0.1:{}", s.https.port())]);
    let forwarded = proxy.forwarded();
    assert!(
        forwarded.iter().all(|t| t.starts_with(&s.http.url())) && !forwarded.is_empty(),
        "{forwarded:?}"
    );
}

#[test]
fn no_proxy_host_and_port_goes_around_the_proxy() {
    // Issue 12: with HTTPS_PROXY and NO_PROXY=host:port, hyper-util's
    // matcher went through the proxy while ureq went direct. Both follow
    // the core's rule now: direct.
    let s = servers();
    let proxy = TestProxy::start().unwrap();
    let mut vars = base_vars(&s);
    vars.push(("HTTPS_PROXY", proxy.url()));
    vars.push(("HTTP_PROXY", proxy.url()));
    vars.push((
        "NO_PROXY",
        format!("127.0.0.1:{},127.0.0.1:{}", s.https.port(), s.http.port()),
    ));
    run_child(&vars);
    assert_eq!(proxy.connections(), 0);
    assert_eq!(s.https.count("/v1/auth/token"), 1);
    assert_eq!(s.http.count("/v1/auth/token"), 1);
}

/// The child: asks over http and https with everything from the
/// environment. Run only by the tests above.
#[tokio::test]
#[ignore = "run in a child process by the tests of this file"]
async fn child_asks_with_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set"));
    // Credentials, the http base URL and the proxy come from the
    // environment; the https client overrides the base URL.
    let from_env = ClientBuilder::from_env()
        .expect("credentials from the environment")
        .poll(PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            cap: Duration::from_millis(20),
            ..PollSchedule::default()
        });
    assert_eq!(from_env.settings().proxy, ProxySetting::FromEnv);
    let http = from_env.clone().build().unwrap();
    let https = from_env
        .base_url(&var(HTTPS_URL))
        .unwrap()
        .add_root_certificate_pem(var(CA).as_bytes())
        .build()
        .unwrap();
    for client in [http, https] {
        let answer = client
            .ask_and_wait(13, "top countries", &WaitOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.results.dataframe.unwrap().len(), 2);
    }
}
