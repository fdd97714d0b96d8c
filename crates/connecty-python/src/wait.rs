//! Waiting without holding the GIL, and stopping a wait from Python.
//!
//! Each call runs on a worker thread with the shared blocking client. The
//! calling thread waits for it with the GIL released, in ticks of
//! [`TICK`]: between ticks it checks for signals (`KeyboardInterrupt`
//! stops a wait within one tick) and calls `on_progress(state)` with the
//! GIL held. When either raises, the call is cancelled: the worker's
//! clock ([`Cancellable::now`]) jumps past every deadline, so the core's
//! own rule ends the operation at its next step, and its sleeps return at
//! once. A request in flight ends by its own timeout.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use connecty_proto::{BlockingTransport, Error, Event, QuestionId, TransportError};
use connecty_ureq::UreqTransport;
use pyo3::prelude::*;

use crate::errors::{Exception, Raise};

/// How often the waiting thread looks for Ctrl-C: well inside 200 ms.
pub(crate) const TICK: Duration = Duration::from_millis(50);

/// How far the clock of a cancelled call jumps: past any deadline.
const PAST_EVERY_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

thread_local! {
    /// The cancel flag of the call this worker thread runs.
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

fn cancelled() -> bool {
    CANCEL.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    })
}

/// The ureq transport, with a clock that a cancelled call can stop.
pub(crate) struct Cancellable(pub UreqTransport);

impl BlockingTransport for Cancellable {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.0.send(request, timeout)
    }

    fn sleep_until(&self, deadline: Instant) {
        while !cancelled() {
            let now = self.0.now();
            if now >= deadline {
                return;
            }
            std::thread::sleep((deadline - now).min(TICK));
        }
    }

    fn now(&self) -> Instant {
        let now = self.0.now();
        if cancelled() {
            now.checked_add(PAST_EVERY_DEADLINE).unwrap_or(now)
        } else {
            now
        }
    }

    fn wall_clock(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.wall_clock()
    }
}

/// What a worker sends the waiting thread.
enum Message<R> {
    /// A progress event: the question's id, and its new state if any.
    Progress(QuestionId, Option<String>),
    /// The outcome.
    Done(Result<R, Error>),
}

/// A progress callback for the core: forwards events to the waiting
/// thread.
pub(crate) type Progress = Arc<dyn Fn(&Event) + Send + Sync>;

/// Runs `work` on a worker thread and waits for it with the GIL released,
/// calling `on_progress(state)` with the GIL held. `work` gets the
/// progress callback to hand to the core. `raise` turns the core's error
/// into the Python exception; `question_id` is the question already known
/// (results), for a `KeyboardInterrupt`.
pub(crate) fn run<R: Send + 'static>(
    py: Python<'_>,
    on_progress: Option<&Bound<'_, PyAny>>,
    known_question: Option<QuestionId>,
    work: impl FnOnce(Progress) -> Result<R, Error> + Send + 'static,
    raise: impl Fn(&Error) -> Raise,
) -> PyResult<R> {
    let (tx, rx) = mpsc::channel::<Message<R>>();
    // Receiver is not Sync; the lock is only ever taken by this thread.
    let rx = std::sync::Mutex::new(rx);
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let events = tx.clone();
    let progress: Progress = Arc::new(move |e: &Event| {
        let m = match e {
            Event::Asked { question_id } => Message::Progress(*question_id, None),
            Event::StateChanged {
                question_id, state, ..
            } => Message::Progress(*question_id, Some(state.as_str().to_string())),
            _ => return,
        };
        let _ = events.send(m);
    });
    std::thread::Builder::new()
        .name("connecty-call".into())
        .spawn(move || {
            CANCEL.with(|c| *c.borrow_mut() = Some(flag));
            let _ = tx.send(Message::Done(work(progress)));
        })
        .map_err(|e| {
            Exception::new("ConnectyError", format!("cannot start a thread: {e}")).into_pyerr(py)
        })?;
    let mut question = known_question;
    let stop = |e: PyErr, question: Option<QuestionId>| {
        cancel.store(true, Ordering::Relaxed);
        if let Some(q) = question {
            // The id to resume with, on a KeyboardInterrupt as on any
            // exception from on_progress.
            let _ = e.value(py).setattr("question_id", q.to_string());
        }
        e
    };
    loop {
        let next = py.detach(|| match rx.lock() {
            Ok(rx) => rx.recv_timeout(TICK),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        });
        match next {
            Ok(Message::Done(r)) => return r.map_err(|e| raise(&e).into_pyerr(py)),
            Ok(Message::Progress(q, state)) => {
                question = Some(q);
                if let (Some(cb), Some(state)) = (on_progress, state) {
                    if let Err(e) = cb.call1((state,)) {
                        return Err(stop(e, question));
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Exception::new(
                    "ConnectyError",
                    "internal error: the call's thread ended without an outcome (a bug in connecty)",
                )
                .into_pyerr(py));
            }
        }
        if let Err(e) = py.check_signals() {
            return Err(stop(e, question));
        }
    }
}
