//! A `tracing` subscriber that records every span, field and event as a
//! line of text, for tests that check what a client logs (and that no
//! secret is among it).
//!
//! ```
//! use connecty_testkit::logs::LogCapture;
//!
//! let capture = LogCapture::new();
//! let lines = capture.lines();
//! tracing::subscriber::with_default(capture, || {
//!     tracing::info!(status = 200, "done");
//! });
//! assert!(lines.lock().unwrap()[0].starts_with("event INFO "));
//! ```
//!
//! `tracing` caches per call site whether it is enabled, process-wide, so a
//! test that relies on seeing every line wants a binary of its own (or a
//! global default subscriber).

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Records every span (`span NAME fields`), recorded value
/// (`record fields`) and event (`event LEVEL TARGET fields`) as a line.
#[derive(Debug, Default)]
pub struct LogCapture {
    lines: Arc<Mutex<Vec<String>>>,
    ids: AtomicU64,
}

impl LogCapture {
    /// A capture with no lines yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines recorded so far (shared: keep it before handing the
    /// capture to `tracing`).
    pub fn lines(&self) -> Arc<Mutex<Vec<String>>> {
        Arc::clone(&self.lines)
    }

    fn push(&self, line: String) {
        // A poisoned lock means a test already failed; keep recording.
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
}

/// `name=value ` for every field, values in their `Debug` form.
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(String::new());
        span.record(&mut f);
        self.push(format!("span {} {}", span.metadata().name(), f.0));
        tracing::span::Id::from_u64(self.ids.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields(String::new());
        values.record(&mut f);
        self.push(format!("record {}", f.0));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        let meta = event.metadata();
        self.push(format!("event {} {} {}", meta.level(), meta.target(), f.0));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
