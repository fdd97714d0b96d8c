//! Adapters: the ways a fixture is run. Each is a transport with its
//! client; the list of them is [`crate::adapters`].

use std::fmt;
use std::marker::PhantomData;

use connecty_proto::{
    AsyncClient, AsyncTransport, BlockingClient, BlockingTransport, ClientConfig, Error,
};
use connecty_testkit::{Fixture, Observation, Problem, ScriptedServer};

/// Why a fixture failed on an adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// Which run of the adapter failed, when it runs several (the mock
    /// adapter runs the blocking and the async client).
    pub context: Option<String>,
    /// What went wrong, the most telling first.
    pub problems: Vec<Problem>,
}

impl Failure {
    /// A failure with one problem.
    pub fn setup(message: impl Into<String>) -> Self {
        Self {
            context: None,
            problems: vec![Problem::Setup(message.into())],
        }
    }

    /// The first problem, with its context.
    pub fn first(&self) -> String {
        let first = self
            .problems
            .first()
            .map_or_else(|| "(no problem recorded)".to_string(), ToString::to_string);
        match &self.context {
            Some(c) => format!("[{c}] {first}"),
            None => first,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.first())?;
        for p in self.problems.iter().skip(1) {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl From<Vec<Problem>> for Failure {
    fn from(problems: Vec<Problem>) -> Self {
        Self {
            context: None,
            problems,
        }
    }
}

/// A way to run a fixture: a transport and its client.
pub trait Adapter: Send + Sync {
    /// The column name in the matrix.
    fn name(&self) -> &str;

    /// Runs `fixture` and checks the run against it.
    fn run(&self, fixture: &Fixture) -> Result<(), Failure>;
}

/// The in-memory [`MockTransport`](connecty_testkit::MockTransport) with
/// a virtual clock, driven by both the blocking and the async client.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mock;

impl Adapter for Mock {
    fn name(&self) -> &str {
        "mock"
    }

    fn run(&self, fixture: &Fixture) -> Result<(), Failure> {
        fixture.check_with_mock().map_err(|e| Failure {
            context: Some(format!("{} client", e.client)),
            problems: e.problems,
        })
    }
}

/// A blocking client over a [`ScriptedServer`] on loopback: `build`
/// makes the client from the fixture's configuration.
pub struct BlockingOverServer<T, F> {
    name: &'static str,
    build: F,
    transport: PhantomData<fn() -> T>,
}

/// An adapter running a blocking client made by `build` over a
/// [`ScriptedServer`].
pub fn blocking<T, F>(name: &'static str, build: F) -> Box<dyn Adapter>
where
    T: BlockingTransport + 'static,
    F: Fn(&ClientConfig) -> Result<BlockingClient<T>, Error> + Send + Sync + 'static,
{
    Box::new(BlockingOverServer {
        name,
        build,
        transport: PhantomData,
    })
}

impl<T, F> Adapter for BlockingOverServer<T, F>
where
    T: BlockingTransport,
    F: Fn(&ClientConfig) -> Result<BlockingClient<T>, Error> + Send + Sync,
{
    fn name(&self) -> &str {
        self.name
    }

    fn run(&self, fixture: &Fixture) -> Result<(), Failure> {
        let server = ScriptedServer::for_fixture(fixture)
            .map_err(|e| Failure::setup(format!("cannot start the scripted server: {e}")))?;
        let config = fixture
            .client_config(&server.base_url())
            .map_err(|e| Failure::setup(e.to_string()))?;
        let client = (self.build)(&config)
            .map_err(|e| Failure::setup(format!("cannot build the client: {e}")))?;
        let result = fixture
            .call_blocking(&client)
            .map_err(|e| Failure::setup(e.to_string()))?;
        let tokens = client.token_exchanges();
        drop(client);
        finish(fixture, server, result, tokens)
    }
}

/// An async client over a [`ScriptedServer`] on loopback, run on a tokio
/// runtime of its own: `build` makes the client from the fixture's
/// configuration.
pub struct AsyncOverServer<T, F> {
    name: &'static str,
    build: F,
    transport: PhantomData<fn() -> T>,
}

/// An adapter running an async client made by `build` over a
/// [`ScriptedServer`].
pub fn asynchronous<T, F>(name: &'static str, build: F) -> Box<dyn Adapter>
where
    T: AsyncTransport + 'static,
    F: Fn(&ClientConfig) -> Result<AsyncClient<T>, Error> + Send + Sync + 'static,
{
    Box::new(AsyncOverServer {
        name,
        build,
        transport: PhantomData,
    })
}

impl<T, F> Adapter for AsyncOverServer<T, F>
where
    T: AsyncTransport,
    F: Fn(&ClientConfig) -> Result<AsyncClient<T>, Error> + Send + Sync,
{
    fn name(&self) -> &str {
        self.name
    }

    fn run(&self, fixture: &Fixture) -> Result<(), Failure> {
        let server = ScriptedServer::for_fixture(fixture)
            .map_err(|e| Failure::setup(format!("cannot start the scripted server: {e}")))?;
        let config = fixture
            .client_config(&server.base_url())
            .map_err(|e| Failure::setup(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::setup(format!("cannot start a tokio runtime: {e}")))?;
        let (result, tokens) = runtime.block_on(async {
            let client = (self.build)(&config)
                .map_err(|e| Failure::setup(format!("cannot build the client: {e}")))?;
            let result = fixture
                .call_async(&client)
                .await
                .map_err(|e| Failure::setup(e.to_string()))?;
            Ok::<_, Failure>((result, client.token_exchanges()))
        })?;
        drop(runtime);
        finish(fixture, server, result, tokens)
    }
}

fn finish(
    fixture: &Fixture,
    server: ScriptedServer,
    result: Result<connecty_testkit::Success, Error>,
    tokens: u64,
) -> Result<(), Failure> {
    let received = server.received();
    let mismatches = server.finish().err().unwrap_or_default();
    fixture
        .verify(&Observation::new(result, tokens, received, mismatches))
        .map_err(Failure::from)
}

/// Applies a fixture's [`ClientConfig`] to a transport crate's
/// `ClientBuilder` (connecty-hyper and connecty-ureq share its methods):
/// base URL, credentials, timeouts, body limit, retry policy, poll schedule,
/// and no proxy whatever the environment says.
#[macro_export]
macro_rules! configure {
    ($builder:expr, $config:expr) => {{
        let config: &::connecty_proto::ClientConfig = $config;
        let mut builder = $builder
            .base_url(&config.base_url.to_string())?
            .request_timeout(config.request_timeout)
            .default_deadline(config.default_deadline)
            .body_limit(config.body_limit)
            .retry(config.retry)
            .poll(config.poll)
            .proxy(::connecty_proto::ProxySetting::Disabled);
        if let Some(c) = &config.credentials {
            builder = builder.credentials(c.client_id(), c.client_secret().expose())?;
        }
        builder
    }};
}
