//! The MCP server: the tools' handler over one shared connecty client.

#![allow(deprecated)] // rmcp marks MCP logging deprecated (SEP-2577); clients still ask for it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use connecty_proto::{
    Answer, Asked, Error, Event, Knob, QuestionId, ResultsOptions, State, Vocabulary, WaitOptions,
    WorkspaceId,
};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    ServerCapabilities, ServerConfig as InitInfo, SetLevelRequestParams,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};

use crate::args::{self, ArgError, Fetch};
use crate::progress::Progress;
use crate::result::{self, Budget, Completed, Rendered, Shape};
use crate::{ServerConfig, save, tools};

/// The sentence a result carries when the tool deadline passed.
pub const GO_ON_WAITING: &str = "call results with this question_id to go on waiting";

/// The MCP server: `ask`, `results` and `health` over one connecty client.
///
/// Clones share the client (and so its access token: concurrent calls make
/// one token exchange). Serve it with [`serve_stdio`](crate::serve_stdio)
/// or [`HttpServer`](crate::HttpServer), or with any rmcp transport.
#[derive(Clone)]
pub struct ConnectyMcp {
    client: connecty_hyper::Client,
    config: Arc<ServerConfig>,
    /// The tools, made once (their schemas are shared, not rebuilt on
    /// every `tools/list`).
    tools: Arc<Vec<rmcp::model::Tool>>,
    log_level: Arc<Mutex<Option<LoggingLevel>>>,
}

impl std::fmt::Debug for ConnectyMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectyMcp")
            .field("base_url", &self.client.config().base_url.to_string())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A wait's end.
enum Waited {
    Done(Box<Result<Answer, Error>>),
    Cancelled,
}

/// The MCP words for the settings a hint names.
struct Words<'a> {
    base_url: String,
    dw: Option<WorkspaceId>,
    config: &'a ServerConfig,
}

impl Vocabulary for Words<'_> {
    fn knob(&self, knob: Knob) -> String {
        match knob {
            Knob::Credentials => "the server's credentials (its --profile, or \
                CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET where it runs; never a tool argument)"
                .to_string(),
            Knob::BaseUrl => format!(
                "the server's --base-url or --region (now {})",
                self.base_url
            ),
            Knob::Workspace => "the dw argument".to_string(),
            Knob::Timeout => format!(
                "the server's --tool-timeout (now {} s)",
                self.config.tool_timeout.as_secs_f64()
            ),
            Knob::MaxRows => "the max_rows argument".to_string(),
            Knob::BodyLimit => "the server's --body-limit".to_string(),
            other => other.sdk_name().to_string(),
        }
    }

    fn resume(&self, question_id: QuestionId) -> String {
        match self.dw {
            Some(dw) => format!("call results with question_id {question_id} and dw {dw}"),
            None => format!("call results with question_id {question_id}"),
        }
    }
}

fn text_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

fn arg_error(e: ArgError) -> CallToolResult {
    text_error(format!("invalid arguments: {e}"))
}

fn rendered(r: Rendered) -> CallToolResult {
    let mut out = CallToolResult::success(vec![ContentBlock::text(r.text)]);
    out.structured_content = Some(r.structured);
    out
}

fn level_rank(l: LoggingLevel) -> u8 {
    match l {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

impl ConnectyMcp {
    /// A server over `client` (an async connecty client the caller built,
    /// such as `connecty_hyper::ClientBuilder::from_settings(..).build()`).
    pub fn new(client: connecty_hyper::Client, config: ServerConfig) -> Self {
        Self {
            client,
            tools: Arc::new(tools::tools(&config)),
            config: Arc::new(config),
            log_level: Arc::new(Mutex::new(None)),
        }
    }

    /// The client, for its counters (`token_exchanges`).
    pub fn client(&self) -> &connecty_hyper::Client {
        &self.client
    }

    /// Writes `message` on stderr, and as an MCP log message when the
    /// client asked for that level.
    async fn log(&self, peer: &Peer<RoleServer>, level: LoggingLevel, message: String) {
        eprintln!("connecty mcp: {message}");
        let wanted = *self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if wanted.is_some_and(|w| level_rank(level) >= level_rank(w)) {
            let mut param = LoggingMessageNotificationParam::new(level, json!(message));
            param.logger = Some("connecty".to_string());
            let _ = peer.notify_logging_message(param).await;
        }
    }

    fn shape(&self) -> Shape {
        Shape {
            budget: Budget {
                rows: self.config.max_result_rows,
                bytes: self.config.max_result_bytes,
            },
            can_save: self.config.output_dir.is_some(),
        }
    }

    fn error_result(&self, e: &Error, dw: Option<WorkspaceId>) -> CallToolResult {
        let words = Words {
            base_url: self.client.config().base_url.to_string(),
            dw,
            config: &self.config,
        };
        let mut text = format!("error: {e}");
        if let Some(h) = e.hint() {
            text.push_str("\nhint: ");
            text.push_str(&h.render(&words));
        }
        text_error(text)
    }

    fn wait_options(&self, fetch: &Fetch) -> WaitOptions {
        let mut options = WaitOptions::new()
            .include(fetch.include)
            .all_rows(fetch.all_rows)
            .timeout(self.config.tool_timeout);
        options.results.max_rows = fetch.max_rows;
        options
    }

    /// Runs `call` (an ask-and-wait or a wait), sending progress while it
    /// runs and stopping at once when the client cancels.
    async fn wait<F>(
        &self,
        ctx: &RequestContext<RoleServer>,
        mut options: WaitOptions,
        question: Option<QuestionId>,
        call: impl FnOnce(WaitOptions) -> F,
    ) -> Waited
    where
        F: Future<Output = Result<Answer, Error>>,
    {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        options.progress = Some(Arc::new(move |e: &Event| {
            let _ = tx.send(e.clone());
        }));
        let mut progress = Progress::new(ctx.meta.get_progress_token(), question);
        let call = call(options);
        tokio::pin!(call);
        // The first tick a period from now: `interval`'s immediate first
        // tick is a timer entry at `now`, which tokio's millisecond wheel
        // fires only at the next tick, up to 1 ms later, on every call.
        // No timer at all when no notification is wanted: registering one
        // wakes the runtime's driver (a syscall) on every call.
        let period = Duration::from_secs(1);
        let mut tick = progress
            .wanted()
            .then(|| tokio::time::interval_at(tokio::time::Instant::now() + period, period));
        loop {
            let note = tokio::select! {
                r = &mut call => {
                    // The events of the call's last steps (its final poll
                    // among them) are still queued: they go out before
                    // the result.
                    while let Ok(e) = rx.try_recv() {
                        if progress.note(&e) {
                            progress.send(&ctx.peer).await;
                        }
                    }
                    return Waited::Done(Box::new(r));
                }
                () = ctx.ct.cancelled() => {
                    let what = match progress.asked() {
                        Some(q) => format!("question {q} goes on server-side; call results with its question_id to read it"),
                        None => "no question id yet; if it was asked, it goes on server-side".to_string(),
                    };
                    self.log(&ctx.peer, LoggingLevel::Notice, format!("call cancelled by the client: {what}")).await;
                    return Waited::Cancelled;
                }
                Some(e) = rx.recv() => progress.note(&e),
                Some(_) = async {
                    match tick.as_mut() {
                        Some(t) => Some(t.tick().await),
                        None => None,
                    }
                }, if tick.is_some() => true,
            };
            if note {
                progress.send(&ctx.peer).await;
            }
        }
    }

    /// Turns a finished wait into the tool result, saving when asked.
    async fn finish(
        &self,
        ctx: &RequestContext<RoleServer>,
        waited: Waited,
        fetch: &Fetch,
    ) -> Result<CallToolResult, McpError> {
        let waited = match waited {
            Waited::Cancelled => None,
            Waited::Done(r) => Some(*r),
        };
        let answer = match waited {
            None => {
                return Err(McpError::internal_error("the call was cancelled", None));
            }
            Some(Ok(a)) => a,
            Some(Err(Error::Timeout {
                asked: Asked::Yes(q),
                last_state,
                elapsed,
                ..
            })) => {
                let message = format!(
                    "The tool deadline ({:.0} s) passed after {:.1} s; the question goes on \
                     server-side: {GO_ON_WAITING}.",
                    self.config.tool_timeout.as_secs_f64(),
                    elapsed.as_secs_f64()
                );
                self.log(
                    &ctx.peer,
                    LoggingLevel::Info,
                    format!("tool deadline: question {q} goes on server-side"),
                )
                .await;
                return Ok(rendered(result::unfinished(
                    &q,
                    last_state.as_ref(),
                    &message,
                )));
            }
            Some(Err(e)) => return Ok(self.error_result(&e, Some(fetch.dw))),
        };
        self.completed(answer.into(), fetch).await
    }

    async fn completed(
        &self,
        answer: Completed,
        fetch: &Fetch,
    ) -> Result<CallToolResult, McpError> {
        let saved = match &fetch.save_as {
            None => None,
            Some(name) => {
                let dir = self.config.output_dir.clone();
                let (name, overwrite) = (name.clone(), fetch.overwrite);
                let answer = answer.clone();
                let done = tokio::task::spawn_blocking(move || {
                    save::save(dir.as_deref(), &name, overwrite, &answer)
                })
                .await
                .map_err(|e| McpError::internal_error(format!("saving failed: {e}"), None))?;
                match done {
                    Ok(s) => Some(s),
                    Err(refusal) => return Ok(text_error(format!("error: {refusal}"))),
                }
            }
        };
        Ok(rendered(result::completed(
            &answer,
            saved.as_ref(),
            self.shape(),
        )))
    }

    async fn ask(
        &self,
        args: &Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let a = match args::ask(args, self.config.default_workspace) {
            Ok(a) => a,
            Err(e) => return Ok(arg_error(e)),
        };
        if let Some(name) = &a.fetch.save_as {
            // Refuse a bad name before the question is asked.
            if let Err(r) = save::decide(
                name,
                self.config.output_dir.is_some(),
                save::Existing::Nothing,
                true,
            ) {
                return Ok(text_error(format!("error: {r}")));
            }
        }
        let client = &self.client;
        let (dw, question) = (a.fetch.dw, a.question.as_str());
        let waited = self
            .wait(ctx, self.wait_options(&a.fetch), None, |o| async move {
                client.ask_and_wait(dw, question, &o).await
            })
            .await;
        self.finish(ctx, waited, &a.fetch).await
    }

    async fn results(
        &self,
        args: &Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let r = match args::results(args, self.config.default_workspace) {
            Ok(r) => r,
            Err(e) => return Ok(arg_error(e)),
        };
        let (dw, id) = (r.fetch.dw, r.question_id);
        if r.wait {
            let client = &self.client;
            let waited = self
                .wait(ctx, self.wait_options(&r.fetch), Some(id), |o| async move {
                    client.wait(dw, id, &o).await
                })
                .await;
            return self.finish(ctx, waited, &r.fetch).await;
        }
        let options = ResultsOptions {
            include: r.fetch.include,
            max_rows: r.fetch.max_rows,
        };
        let got = tokio::select! {
            got = self.client.results(dw, id, &options) => got,
            () = ctx.ct.cancelled() => return Err(McpError::internal_error("the call was cancelled", None)),
        };
        match got {
            Err(e) => Ok(self.error_result(&e, Some(dw))),
            Ok(resp) => match (&resp.state, resp.results) {
                (State::Completed, Some(results)) => {
                    let answer = Completed {
                        question_id: id,
                        results,
                        max_rows: r.fetch.max_rows,
                    };
                    self.completed(answer, &r.fetch).await
                }
                (State::Failed, _) => {
                    let e = Error::QuestionFailed {
                        question_id: id,
                        reason: resp_reason(&resp.extra),
                    };
                    Ok(self.error_result(&e, Some(dw)))
                }
                (state, _) => Ok(rendered(result::unfinished(
                    &id,
                    Some(state),
                    &format!("It has not finished: {GO_ON_WAITING} (wait: true)."),
                ))),
            },
        }
    }

    async fn health(&self, args: &Map<String, Value>) -> Result<CallToolResult, McpError> {
        if let Err(e) = args::health(args) {
            return Ok(arg_error(e));
        }
        match self.client.health().await {
            Ok(()) => {
                let mut out = CallToolResult::success(vec![ContentBlock::text(format!(
                    "ok: the ConnectyAI API at {} answers",
                    self.client.config().base_url
                ))]);
                out.structured_content = Some(json!({
                    "status": "ok",
                    "base_url": self.client.config().base_url.to_string(),
                }));
                Ok(out)
            }
            Err(e) => Ok(self.error_result(&e, None)),
        }
    }
}

fn resp_reason(extra: &connecty_proto::Members) -> Option<String> {
    let mut r = connecty_proto::ResultsResponse::state_only(State::Failed);
    r.extra = extra.clone();
    r.failure_reason()
}

impl ServerHandler for ConnectyMcp {
    fn get_info(&self) -> InitInfo {
        InitInfo::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .build(),
        )
        .with_server_info(Implementation::new("connecty", env!("CARGO_PKG_VERSION")))
        .with_instructions(tools::INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.clone().unwrap_or_default();
        let out = match request.name.as_ref() {
            "ask" => self.ask(&args, &context).await?,
            "results" => self.results(&args, &context).await?,
            "health" => self.health(&args).await?,
            other => {
                return Err(McpError::invalid_params(
                    format!("unknown tool {other:?}: the tools are ask, results and health"),
                    None,
                ));
            }
        };
        Ok(out.into())
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        *self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(request.level);
        Ok(())
    }
}
