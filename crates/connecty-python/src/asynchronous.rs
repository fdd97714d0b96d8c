//! `connecty.AsyncClient`: the same calls as coroutines, over
//! connecty-hyper's client on pyo3-async-runtimes' tokio runtime.
//! Concurrent calls share one client, so one token exchange serves them.
//!
//! `on_progress(state)` is called with the GIL held on the runtime's
//! thread; an exception in it ends the call (the call's future is
//! dropped, which cancels it) and propagates. Cancelling the awaiting
//! task (asyncio's Ctrl-C) drops the call's future the same way; the
//! Python class `connecty.AsyncClient` (a subclass of this one, in
//! `python/connecty/_async.py`) then puts the question's id, which the
//! call recorded in a [`QuestionSlot`] when it was asked, on the
//! `CancelledError`.

use std::sync::{Arc, Mutex};

use connecty_hyper::HyperTransport;
use connecty_proto::{AsyncClient as Core, Error, Event, WorkspaceId};
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::{future_into_py, get_runtime};
use tokio::sync::Notify;

use crate::answer::Prepared;
use crate::args;
use crate::client::{Front, Options, Target, open, wait_args, workspace_arg};
use crate::errors::{Words, describe};

/// Turns the core's error into the Python exception, taking the GIL.
fn raise(e: &Error, words: &Words) -> PyErr {
    let r = describe(e, words);
    Python::attach(|py| r.into_pyerr(py))
}

/// A ConnectyAI client for asyncio: ``await client.ask(13, "...")``.
///
/// The same settings and methods as ``Client``, as coroutines. Calls
/// running at once (``asyncio.gather``) share its connections and its
/// access token: one token exchange for all. A cancelled ``ask`` or
/// ``results`` raises ``asyncio.CancelledError`` with ``.question_id``
/// (``None`` when it was cancelled before the question was asked): the
/// question goes on server-side, and ``results`` resumes it.
#[pyclass(module = "connecty", frozen, subclass)]
pub struct AsyncClient {
    inner: Core<HyperTransport>,
    front: Front,
}

/// Where a call records its question's id as soon as it is asked, for the
/// `CancelledError` of a cancelled call (set by `connecty.AsyncClient`).
#[pyclass(module = "connecty._connecty", name = "_QuestionSlot", frozen)]
#[derive(Default)]
pub struct QuestionSlot(Arc<Mutex<Option<String>>>);

#[pymethods]
impl QuestionSlot {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// The question's id, once it was asked.
    #[getter]
    fn question_id(&self) -> Option<String> {
        self.0.lock().ok().and_then(|q| q.clone())
    }
}

/// `on_progress` on the runtime's thread, and the first exception it
/// raised, which ends the call.
struct Progress {
    callback: Py<PyAny>,
    failed: Mutex<Option<PyErr>>,
    stop: Notify,
}

impl Progress {
    fn call(&self, state: &str) {
        let r = Python::attach(|py| self.callback.call1(py, (state,)).map(drop));
        if let Err(e) = r {
            if let Ok(mut slot) = self.failed.lock() {
                slot.get_or_insert(e);
            }
            self.stop.notify_one();
        }
    }

    fn error(&self) -> PyErr {
        self.failed
            .lock()
            .ok()
            .and_then(|mut e| e.take())
            .unwrap_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("on_progress failed"))
    }
}

#[pymethods]
impl AsyncClient {
    #[new]
    #[pyo3(signature = (profile=None, *, base_url=None, region=None, client_id=None, client_secret=None, timeout=None, ca_cert=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        profile: Option<String>,
        base_url: Option<String>,
        region: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        timeout: Option<f64>,
        ca_cert: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let options = Options {
            profile,
            base_url,
            region,
            client_id,
            client_secret,
            timeout,
            ca_cert,
        };
        let (inner, front) = open(py, options, |c| {
            let _runtime = get_runtime().enter();
            connecty_hyper::ClientBuilder::from_settings(c.settings.clone())
                .build()
                .map_err(|e| describe(&e, &c.words))
        })?;
        Ok(AsyncClient { inner, front })
    }

    /// ``GET /v1/health`` (a coroutine): None when the service answers.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (client, words) = (self.inner.clone(), self.front.words(None, false));
        future_into_py(py, async move {
            client.health().await.map_err(|e| raise(&e, &words))
        })
    }

    /// ``Client.ask``, as a coroutine.
    #[pyo3(signature = (dw, question, *, max_rows=None, all_rows=false, include=None, timeout=None, on_progress=None, _slot=None))]
    #[allow(clippy::too_many_arguments)]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        dw: Bound<'_, PyAny>,
        question: String,
        max_rows: Option<Bound<'_, PyAny>>,
        all_rows: bool,
        include: Option<Vec<String>>,
        timeout: Option<f64>,
        on_progress: Option<Py<PyAny>>,
        _slot: Option<Bound<'_, QuestionSlot>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let wait = wait_args(&dw, max_rows.as_ref(), include, all_rows, timeout)?;
        let slot = _slot.map(|s| Arc::clone(&s.get().0));
        self.wait(py, wait, Target::Ask(question), on_progress, slot)
    }

    /// ``Client.submit``, as a coroutine: the question's id.
    fn submit<'py>(
        &self,
        py: Python<'py>,
        dw: Bound<'_, PyAny>,
        question: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let dw = workspace_arg(&dw)?;
        self.front.ready(py)?;
        let (client, words) = (self.inner.clone(), self.front.words(Some(dw), false));
        future_into_py(py, async move {
            let q = client
                .ask(dw, &question)
                .await
                .map_err(|e| raise(&e, &words))?;
            Ok(q.to_string())
        })
    }

    /// ``Client.results``, as a coroutine.
    #[pyo3(signature = (dw, question_id, *, wait=true, max_rows=None, all_rows=false, include=None, timeout=None, on_progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn results<'py>(
        &self,
        py: Python<'py>,
        dw: Bound<'_, PyAny>,
        question_id: String,
        wait: bool,
        max_rows: Option<Bound<'_, PyAny>>,
        all_rows: bool,
        include: Option<Vec<String>>,
        timeout: Option<f64>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = args::question_id(&question_id).map_err(|r| r.into_pyerr(py))?;
        let (dw, options) = wait_args(&dw, max_rows.as_ref(), include, all_rows, timeout)?;
        if wait {
            return self.wait(py, (dw, options), Target::Question(q), on_progress, None);
        }
        self.front.ready(py)?;
        let results = options.results;
        let (client, words) = (self.inner.clone(), self.front.words(Some(dw), false));
        future_into_py(py, async move {
            let r = client
                .results(dw, q, &results)
                .await
                .map_err(|e| raise(&e, &words))?;
            let prepared = Prepared::new(Some(q), r.state, r.results, results.max_rows);
            Python::attach(|py| prepared.into_answer(py))
        })
    }

    /// How many token exchanges this client made (concurrent calls share
    /// one).
    #[getter]
    fn token_exchanges(&self) -> u64 {
        self.inner.token_exchanges()
    }

    fn __repr__(&self) -> String {
        format!("connecty.AsyncClient(base_url={:?})", self.front.base_url())
    }
}

impl AsyncClient {
    fn wait<'py>(
        &self,
        py: Python<'py>,
        (dw, mut options): (WorkspaceId, connecty_proto::WaitOptions),
        target: Target,
        on_progress: Option<Py<PyAny>>,
        slot: Option<Arc<Mutex<Option<String>>>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.front.ready(py)?;
        let client = self.inner.clone();
        let words = self.front.words(Some(dw), options.all_rows);
        let progress = on_progress.map(|callback| {
            Arc::new(Progress {
                callback,
                failed: Mutex::new(None),
                stop: Notify::new(),
            })
        });
        if progress.is_some() || slot.is_some() {
            let p = progress.clone();
            options.progress = Some(Arc::new(move |e: &Event| match e {
                Event::Asked { question_id } => {
                    if let Some(Ok(mut q)) = slot.as_ref().map(|s| s.lock()) {
                        *q = Some(question_id.to_string());
                    }
                }
                Event::StateChanged { state, .. } => {
                    if let Some(p) = &p {
                        p.call(state.as_str());
                    }
                }
                _ => {}
            }));
        }
        future_into_py(py, async move {
            let call = async {
                match target {
                    Target::Question(q) => client.wait(dw, q, &options).await,
                    Target::Ask(question) => client.ask_and_wait(dw, &question, &options).await,
                }
            };
            let answer = match &progress {
                Some(p) => tokio::select! {
                    r = call => r,
                    () = p.stop.notified() => return Err(p.error()),
                },
                None => call.await,
            }
            .map_err(|e| raise(&e, &words))?;
            let prepared = Prepared::completed(answer);
            Python::attach(|py| prepared.into_answer(py))
        })
    }
}
