//! `connecty.Emulator`: connecty-emulator's local ConnectyAI on loopback,
//! as a context manager, for users' own tests and for trying the package
//! without an account.

use std::sync::Mutex;

use connecty_emulator::{EmulatorHandle, Schedule};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::client::Client;
use crate::errors::Exception;

/// A local ConnectyAI on ``127.0.0.1`` (connecty-emulator): tokens,
/// questions moving through ``PENDING``, ``IN_PROGRESS`` and
/// ``COMPLETED``/``FAILED``, and real answers from SQLite over a sample
/// shop. It answers SQL (``SELECT ...``) and a few known questions, such
/// as ``"list the top 5 countries with the most orders"``.
///
/// ``with connecty.Emulator() as emu: emu.client().ask(13, "...")``
///
/// ``port=0`` picks a free port; ``database`` serves an SQLite file
/// instead of the sample shop; ``token_ttl`` is the tokens' lifetime in
/// seconds; ``quick=True`` shortens the states to 50 ms and 100 ms (the
/// default shows them for 200 ms and 600 ms); ``large_table_rows=N`` adds
/// an ``events`` table of N rows of six mixed columns (the benchmarks'
/// table). It stops on ``close()`` or at the end of the ``with`` block.
#[pyclass(module = "connecty", frozen)]
pub struct Emulator {
    handle: Mutex<Option<EmulatorHandle>>,
    base_url: String,
    client_id: String,
    client_secret: String,
    workspace_id: u64,
}

impl Emulator {
    fn with_handle<R>(&self, f: impl FnOnce(&EmulatorHandle) -> R) -> PyResult<R> {
        let guard = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(h) => Ok(f(h)),
            None => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the emulator was closed",
            )),
        }
    }

    /// `base_url`, `client_id` and `client_secret` for a client, under the
    /// caller's other keyword arguments.
    fn client_kwargs<'py>(
        &self,
        py: Python<'py>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let all = PyDict::new(py);
        all.set_item("base_url", &self.base_url)?;
        all.set_item("client_id", &self.client_id)?;
        all.set_item("client_secret", &self.client_secret)?;
        if let Some(k) = kwargs {
            all.update(k.as_mapping())?;
        }
        Ok(all)
    }
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (*, port=0, database=None, token_ttl=None, quick=false, large_table_rows=0))]
    fn new(
        py: Python<'_>,
        port: u16,
        database: Option<std::path::PathBuf>,
        token_ttl: Option<f64>,
        quick: bool,
        large_table_rows: u64,
    ) -> PyResult<Self> {
        let ttl = crate::args::timeout(token_ttl)
            .map_err(|_| Exception::invalid("token_ttl", "must be a number of seconds above 0"))
            .map_err(|r| r.into_pyerr(py))?;
        let mut builder = connecty_emulator::Emulator::builder().port(port);
        if let Some(db) = database {
            builder = builder.database(db);
        }
        if let Some(ttl) = ttl {
            builder = builder.token_ttl(ttl);
        }
        if quick {
            builder = builder.schedule(Schedule::QUICK);
        }
        if large_table_rows > 0 {
            builder = builder.large_table_rows(large_table_rows);
        }
        let handle = py
            .detach(|| builder.start())
            .map_err(|e| Exception::new("ConnectyError", e.to_string()).into_pyerr(py))?;
        Ok(Emulator {
            base_url: handle.base_url(),
            client_id: handle.client_id().to_string(),
            client_secret: handle.client_secret().to_string(),
            workspace_id: handle.workspace_id(),
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Where it listens: ``http://127.0.0.1:PORT``.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The client id it accepts (a local test credential).
    #[getter]
    fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret it accepts (a local test credential, not a
    /// secret).
    #[getter]
    fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The workspace it serves (13).
    #[getter]
    fn workspace_id(&self) -> u64 {
        self.workspace_id
    }

    /// Token exchanges it has answered.
    #[getter]
    fn token_requests(&self) -> PyResult<u64> {
        self.with_handle(|h| h.token_requests())
    }

    /// Questions it has been asked.
    #[getter]
    fn questions_asked(&self) -> PyResult<u64> {
        self.with_handle(|h| h.questions_asked())
    }

    /// A ``connecty.Client`` pointed at it; other keyword arguments are
    /// ``Client``'s.
    #[pyo3(signature = (**kwargs))]
    fn client<'py>(
        &self,
        py: Python<'py>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = self.client_kwargs(py, kwargs)?;
        py.get_type::<Client>().call((), Some(&kwargs))
    }

    /// A ``connecty.AsyncClient`` pointed at it.
    #[pyo3(signature = (**kwargs))]
    fn async_client<'py>(
        &self,
        py: Python<'py>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = self.client_kwargs(py, kwargs)?;
        // The Python class (a subclass of the native one), which puts the
        // question's id on a cancelled call's error.
        py.import("connecty")?
            .getattr("AsyncClient")?
            .call((), Some(&kwargs))
    }

    /// Stops it (waiting for its thread to end).
    fn close(&self, py: Python<'_>) {
        let handle = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            py.detach(|| h.shutdown());
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc=None, _tb=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyType>>,
        _exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "connecty.Emulator(base_url={:?}, workspace_id={})",
            self.base_url, self.workspace_id
        )
    }
}
