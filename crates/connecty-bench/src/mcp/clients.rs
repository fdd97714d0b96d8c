//! The MCP section's client side: the server child process, and the two
//! clients that talk to it (JSON-RPC lines on its stdin/stdout, or
//! Streamable HTTP POSTs with ureq on one session).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::child::{DW, QUESTION, TOKEN};
use crate::emu::EmuProc;

pub(super) struct ServerProc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl ServerProc {
    pub(super) fn start(mode: &str, emu: &EmuProc) -> Result<ServerProc, String> {
        let exe = crate::emu::self_exe()?;
        let mut child = Command::new(exe)
            .args([
                "--serve-mcp",
                mode,
                &emu.base_url,
                &emu.client_id,
                &emu.client_secret,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the MCP server process: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the MCP server process has no stdin/stdout".into());
        };
        Ok(ServerProc {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    pub(super) fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the MCP server process ended".into()),
            Ok(_) => Ok(line),
            Err(e) => Err(format!("reading from the MCP server: {e}")),
        }
    }

    /// Resident memory of the server process, in KiB.
    pub(super) fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("reading the server's /proc status: {e}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| "no VmRSS in /proc status".to_string())
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // Our own child, by handle: stdio servers end with stdin; HTTP ones
        // are stopped here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn initialize_params() -> Value {
    json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "connecty-bench", "version": "0"}
    })
}

pub(super) fn ask_params() -> Value {
    json!({"name": "ask", "arguments": {"question": QUESTION, "dw": DW}})
}

/// Checks a `tools/call` response: a COMPLETED answer with rows.
pub(super) fn completed(response: &Value) -> Result<(), String> {
    let result = &response["result"];
    if result["isError"] == json!(false)
        && result["structuredContent"]["state"] == "COMPLETED"
        && result["structuredContent"]["row_count"].as_u64() > Some(0)
    {
        Ok(())
    } else {
        let text = response.to_string();
        Err(format!(
            "not a completed answer: {}",
            text.chars().take(300).collect::<String>()
        ))
    }
}

// ---------------------------------------------------------------------------
// stdio client.

pub(super) struct StdioClient {
    server: ServerProc,
    next_id: u64,
}

impl StdioClient {
    pub(super) fn start(emu: &EmuProc) -> Result<Self, String> {
        let mut s = StdioClient {
            server: ServerProc::start("stdio", emu)?,
            next_id: 0,
        };
        s.request("initialize", initialize_params())?;
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(s)
    }

    pub(super) fn send(&mut self, message: &Value) -> Result<(), String> {
        let stdin = self.server.stdin.as_mut().ok_or("stdin closed")?;
        let line = format!("{message}\n");
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to the MCP server: {e}"))
    }

    pub(super) fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let line = self.server.read_line()?;
            let v: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
            if v["id"] == json!(id) {
                return Ok(v);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Streamable HTTP client.

pub(super) struct HttpClient {
    agent: ureq::Agent,
    url: String,
    session: String,
    next_id: AtomicU64,
}

impl HttpClient {
    pub(super) fn start(server: &mut ServerProc) -> Result<HttpClient, String> {
        let line = server.read_line()?;
        let url = line
            .trim()
            .strip_prefix("ready ")
            .ok_or_else(|| format!("the MCP server did not start: {line}"))?
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut http = HttpClient {
            agent,
            url,
            session: String::new(),
            next_id: AtomicU64::new(0),
        };
        let (_, session) = http.post(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params()}),
        )?;
        http.session = session.ok_or("no Mcp-Session-Id in the initialize response")?;
        http.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(http)
    }

    /// POSTs one message; returns the JSON-RPC response (if any) and the
    /// session id header.
    pub(super) fn post(&self, message: &Value) -> Result<(Option<Value>, Option<String>), String> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("authorization", &format!("Bearer {TOKEN}"))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if !self.session.is_empty() {
            req = req
                .header("mcp-session-id", &self.session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        let mut resp = req
            .send(message.to_string().as_bytes())
            .map_err(|e| format!("POST {}: {e}", self.url))?;
        let status = resp.status().as_u16();
        let session = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("reading the response: {e}"))?;
        if !(200..300).contains(&status) {
            return Err(format!(
                "HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            ));
        }
        let id = &message["id"];
        if id.is_null() {
            return Ok((None, session));
        }
        // An SSE stream (`data: {...}` lines) or one JSON body.
        let found = body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .chain(std::iter::once(body.as_str()))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| &v["id"] == id);
        match found {
            Some(v) => Ok((Some(v), session)),
            None => Err(format!(
                "no response to request {id} in: {}",
                body.chars().take(200).collect::<String>()
            )),
        }
    }

    /// A `ping` request: the protocol's round trip with no tool behind it.
    pub(super) fn ping(&self) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let (v, _) = self.post(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))?;
        v.map(drop).ok_or_else(|| "no response to ping".to_string())
    }

    pub(super) fn ask(&self) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let (v, _) = self.post(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ask_params()}),
        )?;
        completed(&v.ok_or("no response")?)
    }
}
