//! One client type over both transports, so each command is written once.

use std::time::Duration;

use connecty_proto::{
    AccessToken, Answer, BaseUrl, Error, QuestionId, ResultsOptions, ResultsResponse, WaitOptions,
    WorkspaceId,
};

use crate::cli::TransportKind;

/// Everything needed to build a client.
#[derive(Clone)]
pub struct ClientSpec {
    /// Where requests go.
    pub base_url: BaseUrl,
    /// Client id and secret, when the command needs them.
    pub credentials: Option<(String, String)>,
    /// Extra trusted roots, PEM.
    pub ca_certs: Vec<Vec<u8>>,
    /// The default deadline of every operation (`--timeout`).
    pub deadline: Option<Duration>,
}

/// A blocking (ureq) or async (hyper) client; the async one carries the
/// runtime that drives it.
pub enum AnyClient {
    /// `--transport ureq`.
    Blocking(connecty_ureq::Client),
    /// `--transport hyper`.
    Async(connecty_hyper::Client, tokio::runtime::Runtime),
}

macro_rules! configure {
    ($builder:expr, $spec:expr) => {{
        let spec: &ClientSpec = $spec;
        let mut b = $builder
            .base_url(&spec.base_url.to_string())?
            .user_agent_suffix(concat!("connecty-cli/", env!("CARGO_PKG_VERSION")));
        if let Some((id, secret)) = &spec.credentials {
            b = b.credentials(id, secret)?;
        }
        for pem in &spec.ca_certs {
            b = b.add_root_certificate_pem(pem);
        }
        if let Some(d) = spec.deadline {
            b = b.default_deadline(d);
        }
        b.build()
    }};
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

/// The async (hyper) client.
pub fn build_async(spec: &ClientSpec) -> Result<connecty_hyper::Client, Error> {
    configure!(connecty_hyper::ClientBuilder::new(), spec)
}

impl AnyClient {
    /// Builds the client `kind` names.
    pub fn build(kind: TransportKind, spec: &ClientSpec) -> Result<AnyClient, Error> {
        match kind {
            TransportKind::Ureq => Ok(AnyClient::Blocking(configure!(
                connecty_ureq::ClientBuilder::new(),
                spec
            )?)),
            TransportKind::Hyper => {
                let rt = runtime()?;
                // The hyper client may need the runtime's context when built.
                let client = {
                    let _guard = rt.enter();
                    build_async(spec)?
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

    /// Polls until a final state.
    pub fn wait(
        &self,
        dw: WorkspaceId,
        question_id: QuestionId,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        match self {
            AnyClient::Blocking(c) => c.wait(dw, question_id, options),
            AnyClient::Async(c, rt) => rt.block_on(c.wait(dw, question_id, options)),
        }
    }

    /// Asks and polls until a final state.
    pub fn ask_and_wait(
        &self,
        dw: WorkspaceId,
        question: &str,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        match self {
            AnyClient::Blocking(c) => c.ask_and_wait(dw, question, options),
            AnyClient::Async(c, rt) => rt.block_on(c.ask_and_wait(dw, question, options)),
        }
    }
}
