//! The server in process, over an in-memory pipe, against the emulator:
//! the JSON-RPC it writes, byte for byte, never holds a secret.

use std::time::Duration;

use connecty_emulator::{Emulator, Schedule};
use connecty_mcp::{ConnectyMcp, ServerConfig};
use connecty_testkit::{CannedResponse, Exchange, RequestMatcher, ScriptedServer};
use rmcp::ServiceExt as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SECRET: &str = "S3CRET-mcp-in-process-77aa";
const WRONG: &str = "WRONG-secret-in-process-19bc";

/// Serves `client` on a pipe; sends `requests` (JSON-RPC, ids 1..) after
/// the handshake and returns every line the server wrote.
async fn exchange(client: connecty_hyper::Client, requests: &[Value]) -> Vec<String> {
    exchange_with(client, ServerConfig::default(), requests).await
}

/// [`exchange`] with a server configuration.
async fn exchange_with(
    client: connecty_hyper::Client,
    config: ServerConfig,
    requests: &[Value],
) -> Vec<String> {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = ConnectyMcp::new(client, config);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(tokio::io::split(server_io)).await {
            let _ = running.waiting().await;
        }
    });
    let (read, mut write) = tokio::io::split(client_io);
    let mut lines = BufReader::new(read).lines();
    let mut seen = Vec::new();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let mut send = vec![
        init,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ];
    send.extend(requests.iter().cloned());
    for message in send {
        write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
        let Some(id) = message.get("id").cloned() else {
            continue;
        };
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("an answer in time")
                .unwrap()
                .expect("the server is still there");
            let v: Value = serde_json::from_str(&line).unwrap();
            seen.push(line);
            if v["id"] == id {
                break;
            }
        }
    }
    seen
}

fn client(base_url: &str, secret: &str) -> connecty_hyper::Client {
    connecty_hyper::ClientBuilder::new()
        .base_url(base_url)
        .unwrap()
        .credentials("mcp-client", secret)
        .unwrap()
        .build()
        .unwrap()
}

#[tokio::test]
async fn refused_credentials_are_a_tool_error_that_names_no_secret() {
    let emulator = Emulator::builder()
        .credentials("mcp-client", SECRET)
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let ask = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "ask", "arguments": {"question": "SELECT 1 AS one", "dw": 13}}});
    let lines = exchange(
        client(&emulator.base_url(), WRONG),
        std::slice::from_ref(&ask),
    )
    .await;
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["result"]["isError"], true, "{last}");
    let text = last["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("hint:") && text.contains("never a tool argument"),
        "{text}"
    );
    let lines_ok = exchange(client(&emulator.base_url(), SECRET), &[ask]).await;
    let last: Value = serde_json::from_str(lines_ok.last().unwrap()).unwrap();
    assert_eq!(
        last["result"]["structuredContent"]["rows"],
        json!([[1]]),
        "{last}"
    );
    for line in lines.iter().chain(&lines_ok) {
        assert!(!line.contains(SECRET) && !line.contains(WRONG), "{line}");
    }
}

#[tokio::test]
async fn tools_list_matches_the_schemas_and_unknown_tools_are_refused() {
    let client = client("http://127.0.0.1:9", SECRET);
    let lines = exchange(
        client,
        &[
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "drop_table", "arguments": {}}}),
        ],
    )
    .await;
    let list: Value = serde_json::from_str(&lines[lines.len() - 2]).unwrap();
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ask", "results", "health"]);
    assert_eq!(
        list["result"]["tools"][0]["outputSchema"],
        connecty_mcp::answer_schema()
    );
    let refused: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("drop_table")
    );
}

fn ask_13() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "ask", "arguments": {"question": "SELECT 1 AS one", "dw": 13}}})
}

/// The text of the last line's tool result, which must be an error.
fn tool_error(lines: &[String]) -> String {
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["result"]["isError"], true, "{last}");
    last["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_forbidden_workspace_is_a_tool_error_with_the_servers_message_and_a_hint() {
    let server = ScriptedServer::start([
        Exchange::new(
            RequestMatcher::post("/v1/auth/token"),
            CannedResponse::json(
                200,
                r#"{"access_token":"tok-forbidden-test","expires_at":"2099-01-01T00:00:00+00:00"}"#,
            ),
        ),
        Exchange::new(
            RequestMatcher::post("/v1/dw/13/questions").bearer(),
            CannedResponse::json(403, r#"{"error":"client may not use workspace 13"}"#),
        ),
    ])
    .unwrap();
    let lines = exchange(client(&server.base_url(), SECRET), &[ask_13()]).await;
    let text = tool_error(&lines);
    assert!(text.contains("client may not use workspace 13"), "{text}");
    assert!(
        text.contains("hint:") && text.contains("data workspace 13"),
        "{text}"
    );
    for line in &lines {
        assert!(
            !line.contains("tok-forbidden-test") && !line.contains(SECRET),
            "{line}"
        );
    }
}

#[tokio::test]
async fn a_deadline_during_the_token_exchange_is_a_tool_error_naming_the_tool_timeout() {
    let server = ScriptedServer::start([Exchange::new(
        RequestMatcher::post("/v1/auth/token"),
        CannedResponse::json(
            200,
            r#"{"access_token":"tok-late","expires_at":"2099-01-01T00:00:00+00:00"}"#,
        )
        .delay(Duration::from_secs(3)),
    )])
    .unwrap();
    let config = ServerConfig {
        tool_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let started = std::time::Instant::now();
    let lines = exchange_with(client(&server.base_url(), SECRET), config, &[ask_13()]).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let text = tool_error(&lines);
    assert!(text.contains("--tool-timeout"), "{text}");
}
