//! `connecty.Client`: the blocking client, over connecty-ureq's transport,
//! configured by connecty-settings (keyword arguments > environment >
//! profile > defaults).

use std::path::PathBuf;

use connecty_proto::{
    BaseUrl, BlockingClient, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Error, QuestionId, Region, Settings,
    WaitOptions, WorkspaceId,
};
use connecty_settings::{Endpoint, Explicit};
use connecty_ureq::UreqTransport;
use pyo3::prelude::*;

use crate::answer::{Answer, Prepared};
use crate::args;
use crate::errors::{Exception, Raise, Words, describe, describe_settings};
use crate::wait::{Cancellable, run};

/// The keyword arguments of `Client(...)`, as connecty-settings takes them.
/// No `Debug`: it holds the client secret.
#[derive(Default)]
pub(crate) struct Options {
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub region: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub timeout: Option<f64>,
    pub ca_cert: Option<PathBuf>,
}

/// Settings resolved for a client, and the words its errors use.
pub(crate) struct Configured {
    pub settings: Settings,
    pub words: Words,
    /// Why the client has no credentials (asks raise it; health works).
    pub no_credentials: Option<Raise>,
}

/// Resolves `options` with `env` (the process environment) as every
/// front-end does: keyword arguments > environment > profile > defaults.
pub(crate) fn configure(
    options: Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Configured, Raise> {
    let endpoint = match (&options.base_url, &options.region) {
        (Some(url), _) => Some(Endpoint::BaseUrl(
            BaseUrl::parse(url).map_err(|e| Exception::invalid("base_url", e.message))?,
        )),
        (None, Some(region)) => Some(Endpoint::Region(
            region
                .parse::<Region>()
                .map_err(|e| Exception::invalid("region", e.message))?,
        )),
        (None, None) => None,
    };
    let explicit = Explicit {
        profile: options.profile,
        endpoint,
        ca_cert: options.ca_cert,
        ..Explicit::default()
    };
    let (id, secret) = (options.client_id, options.client_secret);
    // client_id= and client_secret= stand in for their variables: they
    // win over the environment and the profile.
    let env = |name: &str| match name {
        ENV_CLIENT_ID if id.is_some() => id.clone(),
        ENV_CLIENT_SECRET if secret.is_some() => secret.clone(),
        _ => env(name),
    };
    let (resolved, no_credentials) = match connecty_settings::load(&explicit, &env, true) {
        Ok(r) => (r, None),
        Err(e) if e.kind == connecty_settings::ErrorKind::Authentication => {
            let r = connecty_settings::load(&explicit, &env, false)
                .map_err(|e| describe_settings(&e))?;
            (r, Some(describe_settings(&e)))
        }
        Err(e) => return Err(describe_settings(&e)),
    };
    let mut settings = resolved.settings.clone();
    if let Some(t) = args::timeout(options.timeout)? {
        settings.default_deadline = t;
    }
    if let Some(path) = &resolved.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            Exception::invalid("ca_cert", format!("cannot read {}: {e}", path.display()))
        })?;
        settings.extra_root_certificates.push(pem);
    }
    let words = Words {
        base_url: settings.base_url.to_string(),
        dw: None,
        credentials_from: resolved.credentials_from(),
        all_rows: false,
    };
    Ok(Configured {
        settings,
        words,
        no_credentials,
    })
}

/// The checked arguments of a wait: the workspace and the wait options.
pub(crate) fn wait_args(
    dw: &Bound<'_, PyAny>,
    max_rows: Option<&Bound<'_, PyAny>>,
    include: Option<Vec<String>>,
    all_rows: bool,
    timeout: Option<f64>,
) -> PyResult<(WorkspaceId, WaitOptions)> {
    let py = dw.py();
    let dw = args::int(dw)?;
    let max_rows = max_rows.map(args::int).transpose()?;
    let checked = || -> Result<_, Raise> {
        let dw = args::workspace(dw)?;
        let mut options = WaitOptions::new();
        options.results = args::results_options(max_rows, include)?;
        options.all_rows = all_rows;
        options.timeout = args::timeout(timeout)?;
        Ok((dw, options))
    };
    checked().map_err(|r| r.into_pyerr(py))
}

/// `dw` alone (submit).
pub(crate) fn workspace_arg(dw: &Bound<'_, PyAny>) -> PyResult<WorkspaceId> {
    args::workspace(args::int(dw)?).map_err(|r| r.into_pyerr(dw.py()))
}

/// What both clients keep beside their core client: the words of their
/// errors, and why they have no credentials, if they have none.
pub(crate) struct Front {
    words: Words,
    no_credentials: Option<Raise>,
}

impl Front {
    /// Fails with the settings' `AuthError` when there are no credentials.
    pub(crate) fn ready(&self, py: Python<'_>) -> PyResult<()> {
        match &self.no_credentials {
            Some(r) => Err(r.clone().into_pyerr(py)),
            None => Ok(()),
        }
    }

    /// The words of the errors of a call on workspace `dw`.
    pub(crate) fn words(&self, dw: Option<WorkspaceId>, all_rows: bool) -> Words {
        Words {
            dw,
            all_rows,
            ..self.words.clone()
        }
    }

    /// The base URL, for `repr`.
    pub(crate) fn base_url(&self) -> &str {
        &self.words.base_url
    }
}

/// Resolves `options` (without the GIL) and builds a core client with
/// `build`.
pub(crate) fn open<C: Send>(
    py: Python<'_>,
    options: Options,
    build: impl FnOnce(&Configured) -> Result<C, Raise> + Send,
) -> PyResult<(C, Front)> {
    let built = py.detach(|| {
        let c = configure(options, &connecty_settings::process_env)?;
        let inner = build(&c)?;
        Ok::<_, Raise>((
            inner,
            Front {
                words: c.words,
                no_credentials: c.no_credentials,
            },
        ))
    });
    built.map_err(|r| r.into_pyerr(py))
}

/// The blocking client with its cancellable transport.
pub(crate) type Inner = BlockingClient<Cancellable>;

/// Builds the client `configured` describes.
pub(crate) fn build(configured: &Configured) -> Result<Inner, Raise> {
    let words = &configured.words;
    let config = configured
        .settings
        .client_config()
        .map_err(|e| describe(&Error::InvalidInput(e), words))?;
    let transport = UreqTransport::new(&configured.settings).map_err(|e| describe(&e, words))?;
    Ok(BlockingClient::new(Cancellable(transport), config))
}

/// A ConnectyAI client: ask a data workspace questions, get answers.
///
/// Settings come from the keyword arguments, then the environment
/// (``CONNECTY_BASE_URL``, ``CONNECTY_REGION``, ``CONNECTY_CLIENT_ID``,
/// ``CONNECTY_CLIENT_SECRET``, ``CONNECTY_PROFILE``), then the profile in
/// the ``connecty`` command's config.toml and credentials.toml, then the
/// defaults. ``timeout`` is the default deadline of a wait, in seconds
/// (20 minutes unless set); ``ca_cert`` a PEM file of extra root
/// certificates.
///
/// One client is safe to share between threads: they share its
/// connections and its access token (one token exchange for all).
/// Calls release the GIL while they wait; Ctrl-C stops a wait.
#[pyclass(module = "connecty", frozen)]
pub struct Client {
    inner: Inner,
    front: Front,
}

impl Client {
    /// Waits for `question_id` (known) or asks `question` and waits.
    fn wait(
        &self,
        py: Python<'_>,
        (dw, mut options): (WorkspaceId, WaitOptions),
        target: Target,
        on_progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        self.front.ready(py)?;
        let client = self.inner.clone();
        let known = match &target {
            Target::Question(q) => Some(*q),
            Target::Ask(_) => None,
        };
        let words = self.front.words(Some(dw), options.all_rows);
        let prepared = run(
            py,
            on_progress,
            known,
            move |progress| {
                options.progress = Some(progress);
                let answer = match target {
                    Target::Question(q) => client.wait(dw, q, &options),
                    Target::Ask(question) => client.ask_and_wait(dw, &question, &options),
                }?;
                Ok(Prepared::completed(answer))
            },
            |e| describe(e, &words),
        )?;
        prepared.into_answer(py)
    }
}

/// What a wait waits for.
pub(crate) enum Target {
    /// A question already asked.
    Question(QuestionId),
    /// A question to ask first.
    Ask(String),
}

#[pymethods]
impl Client {
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
        ca_cert: Option<PathBuf>,
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
        let (inner, front) = open(py, options, build)?;
        Ok(Client { inner, front })
    }

    /// ``GET /v1/health``: returns None when the service answers, raises
    /// otherwise. Needs no credentials.
    fn health(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.inner.clone();
        let words = self.front.words(None, false);
        run(
            py,
            None,
            None,
            move |_| client.health(),
            |e| describe(e, &words),
        )
    }

    /// Asks ``question`` of data workspace ``dw`` and waits for the answer.
    ///
    /// ``max_rows``: the most rows (1 to 10,000,000; unset, the server's
    /// 1,000). ``all_rows=True`` fetches every row (one more request at
    /// most). ``include``: the components, of ``dataframe``,
    /// ``statistics``, ``sqlquery``, ``summary`` (default: all four).
    /// ``timeout``: the deadline in seconds. ``on_progress(state)`` is
    /// called with each new state; an exception in it stops the wait.
    #[pyo3(signature = (dw, question, *, max_rows=None, all_rows=false, include=None, timeout=None, on_progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn ask(
        &self,
        py: Python<'_>,
        dw: Bound<'_, PyAny>,
        question: String,
        max_rows: Option<Bound<'_, PyAny>>,
        all_rows: bool,
        include: Option<Vec<String>>,
        timeout: Option<f64>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        let wait = wait_args(&dw, max_rows.as_ref(), include, all_rows, timeout)?;
        self.wait(py, wait, Target::Ask(question), on_progress.as_ref())
    }

    /// Asks ``question`` of data workspace ``dw`` and returns its id at
    /// once, without waiting: ``results(dw, id)`` collects the answer.
    fn submit(&self, py: Python<'_>, dw: Bound<'_, PyAny>, question: String) -> PyResult<String> {
        let dw = workspace_arg(&dw)?;
        self.front.ready(py)?;
        let client = self.inner.clone();
        let words = self.front.words(Some(dw), false);
        let q = run(
            py,
            None,
            None,
            move |_| client.ask(dw, &question),
            |e| describe(e, &words),
        )?;
        Ok(q.to_string())
    }

    /// The answer of question ``question_id`` in workspace ``dw``: waits
    /// for it (``wait=True``, the default) or returns its state and
    /// whatever results exist at once (``wait=False``). The other
    /// arguments are ``ask``'s.
    #[pyo3(signature = (dw, question_id, *, wait=true, max_rows=None, all_rows=false, include=None, timeout=None, on_progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn results(
        &self,
        py: Python<'_>,
        dw: Bound<'_, PyAny>,
        question_id: String,
        wait: bool,
        max_rows: Option<Bound<'_, PyAny>>,
        all_rows: bool,
        include: Option<Vec<String>>,
        timeout: Option<f64>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        let q = args::question_id(&question_id).map_err(|r| r.into_pyerr(py))?;
        let (dw, options) = wait_args(&dw, max_rows.as_ref(), include, all_rows, timeout)?;
        if wait {
            let target = Target::Question(q);
            return self.wait(py, (dw, options), target, on_progress.as_ref());
        }
        self.front.ready(py)?;
        let (client, results) = (self.inner.clone(), options.results);
        let words = self.front.words(Some(dw), false);
        let prepared = run(
            py,
            None,
            Some(q),
            move |_| {
                let r = client.results(dw, q, &results)?;
                Ok(Prepared::new(Some(q), r.state, r.results, results.max_rows))
            },
            |e| describe(e, &words),
        )?;
        prepared.into_answer(py)
    }

    /// How many token exchanges this client made (threads share one).
    #[getter]
    fn token_exchanges(&self) -> u64 {
        self.inner.token_exchanges()
    }

    fn __repr__(&self) -> String {
        format!("connecty.Client(base_url={:?})", self.front.base_url())
    }
}
