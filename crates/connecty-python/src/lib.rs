//! # connecty-python
//!
//! The native half of the `connecty` Python package (`connecty._connecty`),
//! built by maturin as one abi3 wheel for CPython 3.10 and later. The
//! Python half is `python/connecty/`: the exceptions, the conversions to
//! pyarrow, pandas and polars, and the type stubs.
//!
//! **What it is for:** notebooks and pipelines. `connecty.Client` wraps
//! connecty-ureq's blocking client, configured by connecty-settings as the
//! `connecty` command is (keyword arguments > environment > profile >
//! defaults); `Answer` holds the dataframe converted once by
//! connecty-arrow, and hands it over through the Arrow PyCapsule interface.
//!
//! **What it is not:** a Rust API. Nothing here is for Rust callers; use
//! connecty-ureq or connecty-hyper.
//!
//! Build and try it:
//!
//! ```text
//! pip install ./crates/connecty-python
//! python -c "import connecty; help(connecty.Client)"
//! ```
//!
//! No `unsafe` here: pyo3's macros keep theirs inside pyo3's own code
//! paths, so `forbid(unsafe_code)` holds. The Arrow C stream is arrow-rs's
//! `FFI_ArrowArrayStream`, moved into a capsule by pyo3's safe
//! `PyCapsule::new_with_value`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answer;
mod args;
mod asynchronous;
mod client;
mod emulator;
mod errors;
mod wait;

pub use answer::{Answer, Completeness};
pub use asynchronous::AsyncClient;
pub use client::Client;
pub use emulator::Emulator;

use pyo3::prelude::*;

/// The native module, `connecty._connecty`.
#[pymodule]
fn _connecty(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Client>()?;
    m.add_class::<AsyncClient>()?;
    m.add_class::<asynchronous::QuestionSlot>()?;
    m.add_class::<Answer>()?;
    m.add_class::<Completeness>()?;
    m.add_class::<Emulator>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
