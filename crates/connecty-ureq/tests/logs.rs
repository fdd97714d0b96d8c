//! What the transport logs. A binary of its own: `tracing` caches which
//! call sites are enabled process-wide, so a scoped subscriber in a process
//! where other tests log from other threads can miss events.

use std::sync::Arc;
use std::time::Duration;

use connecty_testkit::logs::LogCapture;
use connecty_testkit::net::{FakeApi, client_settings};
use connecty_testkit::values::CLIENT_SECRET;
use connecty_ureq::{ClientBuilder, WaitOptions};

#[test]
fn logs_carry_method_path_status_and_size_but_no_secret() {
    let server = Arc::new(FakeApi::default()).serve().unwrap();
    let client = ClientBuilder::from_settings(client_settings(&server.url()))
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let capture = LogCapture::new();
    let lines = capture.lines();
    tracing::subscriber::with_default(capture, || {
        client
            .ask_and_wait(13, "how many orders?", &WaitOptions::new())
            .unwrap();
    });
    let lines = lines.lock().unwrap();
    let all = lines.join("\n");
    for secret in [
        CLIENT_SECRET,
        "token-1",
        "Bearer",
        "Poland",
        "how many orders",
    ] {
        assert!(!all.contains(secret), "{secret:?} logged:\n{all}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("event TRACE")
            && l.contains("method=POST")
            && l.contains("path=\"/v1/auth/token\"")
            && l.contains("status=200")
            && l.contains("bytes=")),
        "{all}"
    );
}
