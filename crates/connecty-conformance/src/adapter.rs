//! Adapters: the ways a fixture is run. Each is a transport with its
//! client; the list of them is [`crate::adapters`].

use std::fmt;
use std::marker::PhantomData;

use connecty_proto::{
    AsyncClient, AsyncTransport, BlockingClient, BlockingTransport, BuildClient, ClientBuilder,
    Error, Settings,
};
use connecty_testkit::fixture::Route;
use connecty_testkit::net::TestProxy;
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

/// What a real adapter sets up for one run: the scripted server, the
/// proxy the fixture names (if any), and the client's settings.
struct Run {
    server: ScriptedServer,
    proxy: Option<TestProxy>,
    settings: Settings,
}

impl Run {
    fn start(fixture: &Fixture) -> Result<Run, Failure> {
        let server = ScriptedServer::for_fixture(fixture)
            .map_err(|e| Failure::setup(format!("cannot start the scripted server: {e}")))?;
        let proxy = if fixture.uses_proxy() {
            let p = TestProxy::start()
                .map_err(|e| Failure::setup(format!("cannot start the test proxy: {e}")))?;
            Some(p)
        } else {
            None
        };
        let settings = fixture
            .settings(&server.base_url(), proxy.as_ref())
            .map_err(|e| Failure::setup(e.to_string()))?;
        Ok(Run {
            server,
            proxy,
            settings,
        })
    }

    /// Checks the run: the result, what the server received, and the route
    /// the proxy saw.
    fn finish(
        self,
        fixture: &Fixture,
        result: Result<connecty_testkit::Success, Error>,
        tokens: u64,
    ) -> Result<(), Failure> {
        let received = self.server.received();
        let mismatches = self.server.finish().err().unwrap_or_default();
        let route = self.proxy.as_ref().map_or(Route::Direct, Route::seen_by);
        let observation = Observation::new(result, tokens, received, mismatches).with_route(route);
        fixture.verify(&observation).map_err(Failure::from)
    }
}

/// A blocking client over a [`ScriptedServer`] on loopback, built by the
/// transport `T` from the fixture's [`Settings`] with
/// [`ClientBuilder`].
pub struct BlockingOverServer<T> {
    name: &'static str,
    transport: PhantomData<fn() -> T>,
}

/// An adapter running the blocking client of transport `T` over a
/// [`ScriptedServer`].
pub fn blocking<T>(name: &'static str) -> Box<dyn Adapter>
where
    T: BlockingTransport + BuildClient<Client = BlockingClient<T>> + 'static,
{
    Box::new(BlockingOverServer::<T> {
        name,
        transport: PhantomData,
    })
}

impl<T> Adapter for BlockingOverServer<T>
where
    T: BlockingTransport + BuildClient<Client = BlockingClient<T>>,
{
    fn name(&self) -> &str {
        self.name
    }

    fn run(&self, fixture: &Fixture) -> Result<(), Failure> {
        let run = Run::start(fixture)?;
        // A setting the transport refuses is the outcome, as for a user.
        let (result, tokens) = match ClientBuilder::<T>::from_settings(run.settings.clone()).build()
        {
            Ok(client) => {
                let result = fixture
                    .call_blocking(&client)
                    .map_err(|e| Failure::setup(e.to_string()))?;
                (result, client.token_exchanges())
            }
            Err(e) => (Err(e), 0),
        };
        run.finish(fixture, result, tokens)
    }
}

/// An async client over a [`ScriptedServer`] on loopback, run on a tokio
/// runtime of its own, built by the transport `T` from the fixture's
/// [`Settings`] with [`ClientBuilder`].
pub struct AsyncOverServer<T> {
    name: &'static str,
    transport: PhantomData<fn() -> T>,
}

/// An adapter running the async client of transport `T` over a
/// [`ScriptedServer`].
pub fn asynchronous<T>(name: &'static str) -> Box<dyn Adapter>
where
    T: AsyncTransport + BuildClient<Client = AsyncClient<T>> + 'static,
{
    Box::new(AsyncOverServer::<T> {
        name,
        transport: PhantomData,
    })
}

impl<T> Adapter for AsyncOverServer<T>
where
    T: AsyncTransport + BuildClient<Client = AsyncClient<T>>,
{
    fn name(&self) -> &str {
        self.name
    }

    fn run(&self, fixture: &Fixture) -> Result<(), Failure> {
        let run = Run::start(fixture)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::setup(format!("cannot start a tokio runtime: {e}")))?;
        let settings = run.settings.clone();
        let (result, tokens) = runtime.block_on(async {
            match ClientBuilder::<T>::from_settings(settings).build() {
                Ok(client) => {
                    let result = fixture
                        .call_async(&client)
                        .await
                        .map_err(|e| Failure::setup(e.to_string()))?;
                    Ok::<_, Failure>((result, client.token_exchanges()))
                }
                Err(e) => Ok((Err(e), 0)),
            }
        })?;
        drop(runtime);
        run.finish(fixture, result, tokens)
    }
}
