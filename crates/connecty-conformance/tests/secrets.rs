//! Secret audit: with recognisable secrets and tokens, drive every error
//! path of both transports and the whole fixture matrix with a trace-level
//! subscriber recording everything, format the `Debug` of every public
//! type, and assert that no secret or token appears anywhere.
//!
//! One test in its own binary: the subscriber is process-global.

use std::fmt::Debug;
use std::time::Duration;

use connecty_emulator::{Emulator, Schedule};
use connecty_proto::{
    AskAndWait, Credentials, IncludeSet, Operation, Output, ResultsOptions, Settings, Token,
    WaitOptions,
};
use connecty_testkit::logs::LogCapture;

const SECRET: &str = "audit-secret-5b1d9e";
const WRONG_SECRET: &str = "audit-wrong-secret-0c4f";
/// Fixture credentials and token prefix (crates/connecty-testkit/fixtures).
const FIXTURE_SECRET: &str = "connecty-test-secret";
const FIXTURE_TOKEN: &str = "conformance-token";

#[derive(Default)]
struct Audit {
    texts: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl Audit {
    fn debug(&mut self, what: &str, v: &dyn Debug) {
        self.texts.push((what.to_string(), format!("{v:?}")));
    }

    fn result<T: Debug>(&mut self, what: &str, r: &Result<T, connecty_proto::Error>) {
        self.texts.push((what.to_string(), format!("{r:?}")));
        if let Err(e) = r {
            self.texts.push((what.to_string(), e.to_string()));
        }
    }
}

fn quick_retry() -> connecty_proto::RetryPolicy {
    connecty_proto::RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(20),
    }
}

fn slow() -> Schedule {
    Schedule {
        pending: Duration::from_millis(50),
        in_progress: Duration::from_secs(30),
    }
}

#[test]
fn no_secret_or_token_reaches_logs_errors_or_debug() {
    let capture = LogCapture::new();
    let lines = capture.lines();
    tracing::subscriber::set_global_default(capture).unwrap();
    let mut audit = Audit {
        texts: Vec::new(),
        secrets: vec![
            SECRET.into(),
            WRONG_SECRET.into(),
            FIXTURE_SECRET.into(),
            FIXTURE_TOKEN.into(),
        ],
    };

    let emu = Emulator::builder()
        .credentials("audit-client", SECRET)
        .schedule(Schedule {
            pending: Duration::from_millis(20),
            in_progress: Duration::from_millis(40),
        })
        .start()
        .unwrap();
    let slow_emu = Emulator::builder()
        .credentials("audit-client", SECRET)
        .schedule(slow())
        .start()
        .unwrap();
    audit.debug("EmulatorHandle", &emu);

    // Blocking transport: every path.
    let ureq = |url: &str, secret: &str| {
        connecty_ureq::ClientBuilder::new()
            .base_url(url)
            .unwrap()
            .credentials("audit-client", secret)
            .unwrap()
            .retry(quick_retry())
            .build()
            .unwrap()
    };
    let good = ureq(&emu.base_url(), SECRET);
    let token = good.token().unwrap();
    audit.secrets.push(token.expose().to_string());
    audit.debug("ureq AccessToken", &token);
    audit.debug("ureq Client", &good);
    audit.debug(
        "ureq ClientBuilder",
        &connecty_ureq::ClientBuilder::new()
            .credentials("audit-client", SECRET)
            .unwrap(),
    );
    audit.result("ureq health", &good.health());
    let all = WaitOptions::new().include(IncludeSet::ALL);
    let answer = good.ask_and_wait(13, "list the top 5 countries with the most orders", &all);
    audit.result("ureq ask_and_wait", &answer);
    let q = answer.unwrap().question_id;
    audit.result(
        "ureq results",
        &good.results(13, q, &ResultsOptions::default()),
    );
    audit.result("ureq wait", &good.wait(13, q, &all));
    audit.result(
        "ureq unknown question",
        &good.ask_and_wait(13, "what is love", &all),
    );
    audit.result("ureq 404 workspace", &good.ask(99, "SELECT 1"));
    audit.result("ureq bad input", &good.ask(13, ""));
    audit.result(
        "ureq bad credentials",
        &ureq(&emu.base_url(), WRONG_SECRET).ask(13, "SELECT 1"),
    );
    let timeout = WaitOptions::new().timeout(Duration::from_millis(300));
    let slow_client = ureq(&slow_emu.base_url(), SECRET);
    audit.result(
        "ureq timeout",
        &slow_client.ask_and_wait(13, "SELECT 1", &timeout),
    );
    audit.result(
        "ureq refused",
        &ureq("http://127.0.0.1:9", SECRET).ask(13, "SELECT 1"),
    );

    // Async transport: the same paths.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let hyper = |url: &str, secret: &str| {
            connecty_hyper::ClientBuilder::new()
                .base_url(url)
                .unwrap()
                .credentials("audit-client", secret)
                .unwrap()
                .retry(quick_retry())
                .build()
                .unwrap()
        };
        let good = hyper(&emu.base_url(), SECRET);
        let token = good.token().await.unwrap();
        audit.secrets.push(token.expose().to_string());
        audit.debug("hyper Client", &good);
        audit.debug(
            "hyper ClientBuilder",
            &connecty_hyper::ClientBuilder::new()
                .credentials("audit-client", SECRET)
                .unwrap(),
        );
        audit.result("hyper health", &good.health().await);
        let answer = good
            .ask_and_wait(13, "list the top 5 countries with the most orders", &all)
            .await;
        audit.result("hyper ask_and_wait", &answer);
        let q = answer.unwrap().question_id;
        audit.result(
            "hyper results",
            &good.results(13, q, &ResultsOptions::default()).await,
        );
        audit.result(
            "hyper unknown question",
            &good.ask_and_wait(13, "what is love", &all).await,
        );
        audit.result("hyper 404 workspace", &good.ask(99, "SELECT 1").await);
        audit.result(
            "hyper bad credentials",
            &hyper(&emu.base_url(), WRONG_SECRET)
                .ask(13, "SELECT 1")
                .await,
        );
        let slow_client = hyper(&slow_emu.base_url(), SECRET);
        audit.result(
            "hyper timeout",
            &slow_client.ask_and_wait(13, "SELECT 1", &timeout).await,
        );
        audit.result(
            "hyper refused",
            &hyper("http://127.0.0.1:9", SECRET)
                .ask(13, "SELECT 1")
                .await,
        );
    });

    // The core's own types.
    let settings = Settings::from_lookup(|k| match k {
        "CONNECTY_CLIENT_ID" => Some("audit-client".into()),
        "CONNECTY_CLIENT_SECRET" => Some(SECRET.into()),
        _ => None,
    })
    .unwrap();
    audit.debug("Settings", &settings);
    let config = std::sync::Arc::new(settings.client_config().unwrap());
    audit.debug("ClientConfig", &config);
    audit.debug(
        "Credentials",
        &Credentials::new("audit-client", SECRET).unwrap(),
    );
    let mut op = Operation::new(
        std::sync::Arc::clone(&config),
        Token,
        std::time::Instant::now(),
    );
    audit.debug("Operation", &op);
    if let Output::Transmit(t) = op.poll_output(std::time::Instant::now()) {
        audit.debug("Transmit", &t);
    }
    let op = Operation::new(
        config,
        AskAndWait::new(13, "q", ResultsOptions::default()),
        std::time::Instant::now(),
    );
    audit.debug("Operation ask_and_wait", &op);

    // The whole fixture matrix (every error kind the fixtures describe).
    let fixtures = connecty_testkit::Fixture::load_builtin().unwrap();
    let adapters = connecty_conformance::adapters();
    let matrix = connecty_conformance::matrix::run(&fixtures, &adapters, 4);
    audit.debug("Matrix", &matrix);

    let lines = lines.lock().unwrap();
    assert!(
        lines.len() > 100,
        "the subscriber saw {} lines",
        lines.len()
    );
    for secret in &audit.secrets {
        for line in lines.iter() {
            assert!(
                !line.contains(secret.as_str()),
                "a secret reached the logs: {line}"
            );
        }
        for (what, text) in &audit.texts {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached {what}: {text}"
            );
        }
    }
}
