//! One client type over both transports, built from connecty-proto's
//! [`Settings`] through the transports' `ClientBuilder`, so each command is
//! written once. Waits can be stopped with Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use connecty_proto::{
    AccessToken, Answer, Error, Event, QuestionId, ResultsOptions, ResultsResponse, Settings,
    WaitOptions, WorkspaceId,
};

use connecty_settings::Transport;

use crate::exit::{Context, Failure, failure};
use crate::interrupt;

/// The `User-Agent` suffix of every request the command sends.
pub const USER_AGENT_SUFFIX: &str = concat!("connecty-cli/", env!("CARGO_PKG_VERSION"));

/// A blocking (ureq) or async (hyper) client; the async one carries the
/// runtime that drives it.
pub enum AnyClient {
    /// `--transport ureq`.
    Blocking(connecty_ureq::Client),
    /// `--transport hyper`.
    Async(connecty_hyper::Client, tokio::runtime::Runtime),
}

/// A wait that Ctrl-C can stop.
pub enum WaitFor<'a> {
    /// Ask `question`, then poll until a final state.
    AskAndWait(WorkspaceId, &'a str),
    /// Poll question `QuestionId` until a final state.
    Wait(WorkspaceId, QuestionId),
}

/// How a [`AnyClient::wait_interruptibly`] ended.
pub enum Waited {
    /// The wait ended by itself.
    Done(Box<Result<Answer, Error>>),
    /// Ctrl-C stopped it; the question, if asked, goes on server-side.
    Interrupted,
}

/// A current-thread tokio runtime for the async client.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::Transport(connecty_proto::TransportError::new(
                connecty_proto::TransportErrorKind::Other,
                format!("could not start the async runtime: {e}"),
            ))
        })
}

fn with_agent(settings: &Settings) -> Settings {
    let mut s = settings.clone();
    s.user_agent_suffix = Some(USER_AGENT_SUFFIX.to_string());
    s
}

/// The async (hyper) client; build it inside the runtime's context.
pub fn build_async(settings: &Settings) -> Result<connecty_hyper::Client, Error> {
    connecty_hyper::ClientBuilder::from_settings(with_agent(settings)).build()
}

/// Builds the client `kind` names from `settings`, mapping a bad setting
/// to its failure.
pub fn build(kind: Transport, settings: &Settings, ctx: &Context) -> Result<AnyClient, Failure> {
    AnyClient::build(kind, settings).map_err(|e| failure(&e, ctx))
}

impl AnyClient {
    /// Builds the client `kind` names from `settings`.
    pub fn build(kind: Transport, settings: &Settings) -> Result<AnyClient, Error> {
        match kind {
            Transport::Ureq => Ok(AnyClient::Blocking(
                connecty_ureq::ClientBuilder::from_settings(with_agent(settings)).build()?,
            )),
            Transport::Hyper => {
                let rt = runtime()?;
                // The hyper client may need the runtime's context when built.
                let client = {
                    let _guard = rt.enter();
                    build_async(settings)?
                };
                Ok(AnyClient::Async(client, rt))
            }
        }
    }

    /// `GET /v1/health`.
    pub fn health(&self) -> Result<(), Error> {
        match self {
            AnyClient::Blocking(c) => c.health(),
            AnyClient::Async(c, rt) => rt.block_on(c.health()),
        }
    }

    /// A fresh access token.
    pub fn token(&self) -> Result<AccessToken, Error> {
        match self {
            AnyClient::Blocking(c) => c.token(),
            AnyClient::Async(c, rt) => rt.block_on(c.token()),
        }
    }

    /// Asks without waiting.
    pub fn ask(&self, dw: WorkspaceId, question: &str) -> Result<QuestionId, Error> {
        match self {
            AnyClient::Blocking(c) => c.ask(dw, question),
            AnyClient::Async(c, rt) => rt.block_on(c.ask(dw, question)),
        }
    }

    /// Fetches results once.
    pub fn results(
        &self,
        dw: WorkspaceId,
        question_id: QuestionId,
        options: &ResultsOptions,
    ) -> Result<ResultsResponse, Error> {
        match self {
            AnyClient::Blocking(c) => c.results(dw, question_id, options),
            AnyClient::Async(c, rt) => rt.block_on(c.results(dw, question_id, options)),
        }
    }

    /// Runs `what` until it ends or Ctrl-C stops it.
    ///
    /// On the async client the wait is a future, dropped on Ctrl-C: nothing
    /// goes on. The blocking client cannot be stopped mid-call, so it waits
    /// on a thread of its own; on Ctrl-C that thread is left to end by
    /// itself (at its next final state or deadline) and reports nothing
    /// more: its progress callback is cut off.
    pub fn wait_interruptibly(&self, what: WaitFor<'_>, options: &WaitOptions) -> Waited {
        match self {
            AnyClient::Async(c, rt) => {
                let stop = Arc::new(tokio::sync::Notify::new());
                let notify = Arc::clone(&stop);
                let _watch = interrupt::watch(move || notify.notify_one());
                rt.block_on(async {
                    let call = async {
                        match what {
                            WaitFor::AskAndWait(dw, q) => c.ask_and_wait(dw, q, options).await,
                            WaitFor::Wait(dw, id) => c.wait(dw, id, options).await,
                        }
                    };
                    tokio::select! {
                        r = call => Waited::Done(Box::new(r)),
                        () = stop.notified() => Waited::Interrupted,
                    }
                })
            }
            AnyClient::Blocking(c) => {
                let (tx, rx) = std::sync::mpsc::channel::<Option<Result<Answer, Error>>>();
                let stopped = Arc::new(AtomicBool::new(false));
                let mut options = options.clone();
                if let Some(inner) = options.progress.take() {
                    let stopped = Arc::clone(&stopped);
                    options.progress = Some(Arc::new(move |e: &Event| {
                        if !stopped.load(Ordering::SeqCst) {
                            inner(e);
                        }
                    }));
                }
                let (client, what) = match what {
                    WaitFor::AskAndWait(dw, q) => (c.clone(), (dw, Err(q.to_string()))),
                    WaitFor::Wait(dw, id) => (c.clone(), (dw, Ok(id))),
                };
                let done = tx.clone();
                // Watch before the thread starts: no Ctrl-C falls between.
                let _watch = interrupt::watch(move || {
                    let _ = tx.send(None);
                });
                let spawned = std::thread::Builder::new()
                    .name("connecty-wait".to_string())
                    .spawn(move || {
                        let r = match what {
                            (dw, Err(question)) => client.ask_and_wait(dw, &question, &options),
                            (dw, Ok(id)) => client.wait(dw, id, &options),
                        };
                        let _ = done.send(Some(r));
                    });
                if let Err(e) = spawned {
                    return Waited::Done(Box::new(Err(Error::Transport(
                        connecty_proto::TransportError::new(
                            connecty_proto::TransportErrorKind::Other,
                            format!("could not start a thread: {e}"),
                        ),
                    ))));
                }
                match rx.recv() {
                    Ok(Some(r)) => Waited::Done(Box::new(r)),
                    // Ctrl-C. (The waiting thread always sends: a panic
                    // there ends the process through the panic hook.)
                    Ok(None) | Err(_) => {
                        stopped.store(true, Ordering::SeqCst);
                        Waited::Interrupted
                    }
                }
            }
        }
    }
}
