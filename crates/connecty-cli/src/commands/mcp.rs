//! `connecty mcp`: the connecty-mcp server over the profile's client, on
//! stdio or Streamable HTTP. Settings are loaded as for every command
//! ([`settings::load`](crate::settings::load)); this file only turns the
//! flags into a `connecty_mcp::ServerConfig` and runs it.

use connecty_mcp::{BearerToken, ConnectyMcp, ENV_TOKEN, HttpOptions, HttpServer, ServerConfig};

use connecty_proto::ErrorKind;

use crate::cli::{Cli, McpArgs};
use crate::exit::{ExitStatus, Failure, FailureKind, Outcome, failure, register_secret};
use crate::settings;

fn io_failure(what: &str, e: &std::io::Error) -> Failure {
    Failure::new(
        FailureKind::Sdk(ErrorKind::Transport),
        format!("{what}: {e}"),
    )
}

/// Runs `connecty mcp` until the client closes stdin (stdio) or the process
/// is stopped (HTTP).
pub fn run(cli: &Cli, args: &McpArgs) -> Outcome {
    let token = match &args.http {
        None => None,
        Some(_) => {
            let token = std::env::var(ENV_TOKEN).ok().and_then(BearerToken::new);
            match token {
                Some(t) => Some(t),
                None => {
                    return Err(Failure::usage(format!(
                        "connecty mcp --http needs a bearer token in {ENV_TOKEN}, and it is \
                             not set"
                    ))
                    .hint(format!(
                        "export {ENV_TOKEN}=$(openssl rand -hex 32), start the server again, and \
                         give clients the header `Authorization: Bearer <that token>`"
                    )));
                }
            }
        }
    };
    if let Ok(t) = std::env::var(ENV_TOKEN) {
        register_secret(&t);
    }
    let mut loaded = settings::load(cli, true)?;
    if args.dw.is_some() {
        loaded.ctx.dw = args.dw;
    }
    let (settings, ctx) = (&loaded.settings, &loaded.ctx);
    let config = ServerConfig {
        default_workspace: args.dw,
        max_result_rows: args.max_result_rows as usize,
        max_result_bytes: args.max_result_bytes as usize,
        output_dir: args.output_dir.clone(),
        tool_timeout: args.tool_timeout,
    };
    if let Some(dir) = &config.output_dir
        && !dir.is_dir()
    {
        return Err(Failure::usage(format!(
            "--output-dir {} is not a directory",
            dir.display()
        )));
    }
    let rt = crate::client::runtime().map_err(|e| failure(&e, ctx))?;
    let client = {
        let _guard = rt.enter();
        crate::client::build_async(settings).map_err(|e| failure(&e, ctx))?
    };
    let server = ConnectyMcp::new(client, config);
    rt.block_on(async move {
        match (args.http, token) {
            (Some(addr), Some(token)) => {
                let options = HttpOptions {
                    addr,
                    allow_remote: args.allow_remote,
                    token,
                };
                let http = HttpServer::bind(server, options).await.map_err(|e| {
                    if e.kind() == std::io::ErrorKind::PermissionDenied {
                        Failure::usage(e.to_string())
                    } else {
                        io_failure(&format!("cannot listen on {addr}"), &e)
                    }
                })?;
                let bound = http
                    .local_addr()
                    .map_err(|e| io_failure("no address", &e))?;
                eprintln!("connecty mcp: serving Streamable HTTP at http://{bound}/mcp");
                http.run().await.map_err(|e| io_failure("serving", &e))
            }
            _ => {
                eprintln!("connecty mcp: serving MCP on stdio");
                connecty_mcp::serve_stdio(server)
                    .await
                    .map_err(|e| io_failure("serving on stdio", &e))
            }
        }
    })?;
    Ok(ExitStatus::Success)
}
