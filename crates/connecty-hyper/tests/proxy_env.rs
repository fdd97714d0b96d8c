//! Proxies and credentials from the environment, as curl reads them.
//!
//! The environment of this process is never changed: each case runs this
//! test binary again as a child process with its own variables, and the
//! child builds its client with `ClientBuilder::from_env()` and the default
//! `ProxySetting::FromEnv`.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::*;
use std::time::Duration;

use connecty_hyper::connecty_proto::{PollSchedule, ProxySetting};
use connecty_hyper::{ClientBuilder, WaitOptions};

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
    assert_no_secrets(&text);
}

struct Servers {
    http: Server,
    https: Server,
    ca_pem: String,
    http_api: Arc<Api>,
    https_api: Arc<Api>,
}

async fn servers() -> Servers {
    let pki = pki();
    let http_api = Arc::new(Api::default());
    let https_api = Arc::new(Api::default());
    let http = api_server(http_api.clone()).await;
    let handler = {
        let api = https_api.clone();
        Arc::new(move |p: &http::request::Parts, b: &[u8]| api.answer(p, b))
    };
    let https = serve(handler, Some(pki.acceptor)).await;
    Servers {
        http,
        https,
        ca_pem: pki.ca_pem,
        http_api,
        https_api,
    }
}

fn base_vars(s: &Servers) -> Vec<(&'static str, String)> {
    vec![
        ("CONNECTY_CLIENT_ID", CLIENT_ID.to_owned()),
        ("CONNECTY_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("CONNECTY_BASE_URL", s.http.url()),
        (HTTPS_URL, s.https.https_url()),
        (CA, s.ca_pem.clone()),
    ]
}

async fn in_child(vars: Vec<(&'static str, String)>) {
    tokio::task::spawn_blocking(move || run_child(&vars))
        .await
        .expect("the child ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_and_http_proxy_are_honoured() {
    let s = servers().await;
    let proxy = proxy().await;
    let mut vars = base_vars(&s);
    vars.push(("HTTPS_PROXY", proxy.url()));
    vars.push(("HTTP_PROXY", proxy.url()));
    in_child(vars).await;

    let https_target = format!("127.0.0.1:{}", s.https.addr.port());
    assert!(
        proxy.tunnels.lock().unwrap().contains(&https_target),
        "{:?}",
        proxy.tunnels.lock().unwrap()
    );
    let forwarded = proxy.forwarded.lock().unwrap().clone();
    assert!(
        forwarded.iter().any(|t| t.starts_with(&s.http.url())),
        "{forwarded:?}"
    );
    assert_eq!(s.https_api.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(s.http_api.token_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lower_case_and_all_proxy_are_honoured() {
    let s = servers().await;
    let proxy = proxy().await;
    let mut vars = base_vars(&s);
    vars.push(("https_proxy", proxy.url()));
    vars.push(("all_proxy", proxy.url()));
    in_child(vars).await;

    assert_eq!(proxy.tunnels.lock().unwrap().len(), 1);
    assert!(!proxy.forwarded.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_bypasses_the_proxy() {
    let s = servers().await;
    let proxy = proxy().await;
    let mut vars = base_vars(&s);
    vars.push(("HTTPS_PROXY", proxy.url()));
    vars.push(("HTTP_PROXY", proxy.url()));
    vars.push(("NO_PROXY", "example.com, 127.0.0.0/8".to_owned()));
    in_child(vars).await;

    assert!(!proxy.used.load(Ordering::SeqCst));
    assert_eq!(s.https_api.token_requests.load(Ordering::SeqCst), 1);
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
