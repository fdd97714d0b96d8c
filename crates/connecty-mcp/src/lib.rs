//! # connecty-mcp
//!
//! A [Model Context Protocol](https://modelcontextprotocol.io) server over
//! the ConnectyAI Public API, so that AI agents (Claude Desktop, Claude
//! Code, VS Code, Cursor, agents on the MCP SDKs) can ask a Data Workspace
//! questions. Built on the official Rust SDK, `rmcp`.
//!
//! **What it is for:** three tools, `ask`, `results` and `health`, each
//! with an input and an output schema; results cut to a context budget
//! (never silently: `rows_omitted` counts what was left out), whole answers
//! saved to files inside one directory, waits that report progress, stop
//! on cancel and come back as a resumable handle at the tool deadline.
//! Serve it over stdio ([`serve_stdio`]) or Streamable HTTP at `/mcp`
//! ([`HttpServer`], bearer token and loopback `Origin` required). The
//! `connecty mcp` command runs it; a Rust agent can embed it with its own
//! client.
//!
//! **What it is not:** a settings loader. It takes a ready async client
//! (`connecty_hyper::Client`, built from `connecty_proto::Settings` by the
//! caller) and a [`ServerConfig`]; credentials never come from tool
//! arguments.
//!
//! ```
//! use connecty_mcp::{ConnectyMcp, ServerConfig};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let client = connecty_hyper::ClientBuilder::new()
//!     .base_url("http://127.0.0.1:9")?
//!     .credentials("my-client", "my-secret")?
//!     .build()?;
//! let config = ServerConfig {
//!     default_workspace: Some(connecty_proto::WorkspaceId(13)),
//!     ..ServerConfig::default()
//! };
//! assert_eq!(config.max_result_rows, 100);
//! let server = ConnectyMcp::new(client, config);
//! // connecty_mcp::serve_stdio(server).await?; // serves until stdin closes
//! # let _ = server;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A result
//!
//! `structuredContent` holds `question_id`, `state`, `summary`, `sql`,
//! `columns` (`{name, type}`, the type from connecty-arrow's ladder:
//! `int64`, `decimal128(38,0)`, `float64`, `timestamp[us, UTC]`, `date32`,
//! `utf8`, `bool`, `json`, ...), `rows`, `row_count`, `completeness`
//! (`{complete, rows, at_least, at_most}`), `rows_omitted` and `saved`. A
//! text block says the same for clients that ignore structured content.
//!
//! Cells are JSON values as received, with the same value: integers within
//! 64 bits stay exact (a 20-digit `u64` too), and a `float64` cell is the
//! `f64` that reads back exactly (its text may lose trailing zeros: `12.50`
//! is sent as `12.5`). JSON libraries force two exceptions: a `decimal128`
//! cell (a number that neither 64-bit integers nor `f64` hold exactly) is
//! its exact decimal text as a string, and a `json` cell whose numbers would
//! not survive a round trip is its JSON text as a string. The text block and
//! saved files keep every cell's text exactly.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use connecty_proto::WorkspaceId;

pub mod args;
mod http;
mod progress;
pub mod result;
pub mod save;
mod server;
mod stdio;
mod tools;

pub use http::{
    BearerToken, HttpOptions, HttpServer, MAX_REQUEST_BYTES, PATH, bind_allowed, gate,
    is_loopback_origin,
};
pub use server::{ConnectyMcp, GO_ON_WAITING};
pub use tools::{INSTRUCTIONS, answer_schema, tools};

/// The environment variable holding the HTTP server's bearer token.
pub const ENV_TOKEN: &str = "CONNECTY_MCP_TOKEN";

/// What the front-end resolved for the server, besides the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `--dw`: the workspace when a call gives no `dw`.
    pub default_workspace: Option<WorkspaceId>,
    /// `--max-result-rows`: the most rows one result shows (default 100).
    pub max_result_rows: usize,
    /// `--max-result-bytes`: the most bytes one result takes (default 32 KiB).
    pub max_result_bytes: usize,
    /// `--output-dir`: where `save_as` writes; `None` refuses `save_as`.
    pub output_dir: Option<PathBuf>,
    /// `--tool-timeout`: how long `ask` and `results` wait (default 120 s).
    pub tool_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            default_workspace: None,
            max_result_rows: 100,
            max_result_bytes: 32 * 1024,
            output_dir: None,
            tool_timeout: Duration::from_secs(120),
        }
    }
}

/// Serves `server` over stdin and stdout until the client closes stdin.
/// stdout carries only protocol messages; logs go to stderr. A line that is
/// not JSON gets JSON-RPC's parse error (`-32700`, null id), and one over
/// 16 MiB an invalid-request error, and the server goes on.
///
/// Run it on a tokio runtime with I/O and time enabled
/// (`Builder::enable_all`): pipes are read and written from the runtime's
/// event loop, and waits keep time with its timers.
pub async fn serve_stdio(server: ConnectyMcp) -> std::io::Result<()> {
    stdio::serve(server).await
}
