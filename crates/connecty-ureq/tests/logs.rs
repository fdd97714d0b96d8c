//! What the transport logs. A binary of its own: `tracing` caches which
//! call sites are enabled process-wide, so a scoped subscriber in a process
//! where other tests log from other threads can miss events.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connecty_testkit::net::{FakeApi, client_settings};
use connecty_testkit::values::CLIENT_SECRET;
use connecty_ureq::{ClientBuilder, WaitOptions};

/// Records every span and event, fields included, as text.
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    ids: std::sync::atomic::AtomicU64,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(String::new());
        span.record(&mut f);
        let line = format!("span {} {}", span.metadata().name(), f.0);
        self.lines.lock().unwrap().push(line);
        tracing::span::Id::from_u64(self.ids.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields(String::new());
        values.record(&mut f);
        self.lines.lock().unwrap().push(format!("record {}", f.0));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        let line = format!("event {} {}", event.metadata().level(), f.0);
        self.lines.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn logs_carry_method_path_status_and_size_but_no_secret() {
    let server = Arc::new(FakeApi::default()).serve().unwrap();
    let client = ClientBuilder::from_settings(client_settings(&server.url()))
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let capture = Capture {
        lines: Arc::clone(&lines),
        ids: std::sync::atomic::AtomicU64::new(0),
    };
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
