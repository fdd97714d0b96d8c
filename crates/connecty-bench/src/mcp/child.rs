//! What both MCP bench binaries share: the question, the client settings
//! both sides use, and the MCP server child (`--serve-mcp`).
//!
//! `connecty-bench` (the concurrency and soak rows) and `mcp-timing` (the
//! overhead rows, on the system allocator) each start themselves again as
//! the server, so the server runs on the allocator of the binary that
//! measures it.

use std::io::Write;
use std::time::Duration;

use connecty_mcp::{BearerToken, ConnectyMcp, HttpOptions, HttpServer, ServerConfig};
use connecty_proto::{PollSchedule, ProxySetting};

/// The question every call asks: the emulator's 41 countries, the
/// transport section's question.
pub const QUESTION: &str = "SELECT * FROM countries";
/// The workspace every call asks.
pub const DW: u64 = 13;
/// The bearer token between the bench and its child server.
pub const TOKEN: &str = "bench-mcp-token-not-a-secret";

/// As in the concurrency section: the emulator answers at once, so the
/// default 250 ms first poll would measure sleeping.
const POLL: PollSchedule = PollSchedule {
    first: Duration::from_millis(5),
    factor: 1.5,
    cap: Duration::from_millis(100),
    max_fraction: 0.25,
};

/// The connecty-hyper client both sides use: the library baseline and the
/// MCP server. The fast poll schedule, and no proxy (the emulator is on
/// loopback; a proxy variable in the environment must not reroute it).
/// Call it inside a tokio runtime.
pub fn client(url: &str, id: &str, secret: &str) -> Result<connecty_hyper::Client, String> {
    connecty_hyper::ClientBuilder::new()
        .base_url(url)
        .and_then(|b| b.credentials(id, secret))
        .map(|b| b.poll(POLL).proxy(ProxySetting::Disabled))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())
}

/// `--serve-mcp stdio|http <base_url> <client_id> <secret>`: connecty-mcp's
/// server over [`client`], as `connecty mcp` builds it. Over HTTP it prints
/// `ready http://ADDR/mcp` once it listens.
pub fn serve(args: &[String]) -> i32 {
    let [mode, url, id, secret] = args else {
        eprintln!("usage: --serve-mcp stdio|http BASE_URL CLIENT_ID CLIENT_SECRET");
        return 2;
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return 1;
        }
    };
    let served: Result<(), String> = rt.block_on(async {
        let server = ConnectyMcp::new(client(url, id, secret)?, ServerConfig::default());
        if mode == "stdio" {
            return connecty_mcp::serve_stdio(server)
                .await
                .map_err(|e| e.to_string());
        }
        let options = HttpOptions {
            addr: ([127, 0, 0, 1], 0).into(),
            allow_remote: false,
            token: BearerToken::new(TOKEN).ok_or("no token")?,
        };
        let http = HttpServer::bind(server, options)
            .await
            .map_err(|e| e.to_string())?;
        let addr = http.local_addr().map_err(|e| e.to_string())?;
        println!("ready http://{addr}/mcp");
        let _ = std::io::stdout().flush();
        http.run().await.map_err(|e| e.to_string())
    });
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("serve-mcp: {e}");
            1
        }
    }
}
