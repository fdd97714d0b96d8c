//! stdio: rmcp's transport over stdin and stdout, with JSON-RPC's answers
//! to bad lines.
//!
//! rmcp's own stdio transport drops a line that is not JSON, or one over
//! its size limit, without a word. JSON-RPC 2.0 asks for an error response:
//! `-32700` (parse error, null id) for text that is not JSON, `-32600`
//! (invalid request) for a line over [`MAX_LINE`], which is discarded
//! unread, and for JSON that is not a message (with the request's id when
//! it has one). Each line is judged once ([`triage`], pure and
//! table-tested): a message goes to rmcp already parsed, a bad line is
//! answered on stdout.
//!
//! [`Stdio`] is rmcp's [`Transport`] itself, so a message is read, parsed
//! and answered by the task that serves it: no pipe between us and rmcp,
//! and no task in between (a relay through an in-memory pipe cost each
//! tool call two parses, two copies and three task switches).
//!
//! stdout stays protocol only: every message and every answer to a bad
//! line is written whole, one line at a time, under one lock.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

/// The longest line read from stdin: 16 MiB, rmcp's own limit.
pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// What to do with one line from stdin.
#[derive(Debug)]
enum Triage {
    /// A message for rmcp.
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    /// Answer it with this JSON-RPC error (a whole line, newline included).
    Reply(Vec<u8>),
    /// Nothing: an empty line, or a notification that is not one of MCP's
    /// (JSON-RPC never answers a notification).
    Skip,
}

fn error_line(id: &Value, code: i32, message: &str) -> Vec<u8> {
    let reply = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    });
    let mut line = reply.to_string().into_bytes();
    line.push(b'\n');
    line
}

/// The decision for one line (without its newline); `too_long` when the
/// line was longer than [`MAX_LINE`] and was not kept.
fn triage(line: &[u8], too_long: bool) -> Triage {
    if too_long {
        return Triage::Reply(error_line(
            &Value::Null,
            -32600,
            "Invalid Request: the message is over 16 MiB and was not read",
        ));
    }
    // As rmcp reads lines: a byte-order mark and a carriage return are not
    // part of the message.
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Triage::Skip;
    }
    let error = match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
        Ok(message) => return Triage::Message(Box::new(message)),
        Err(e) => e,
    };
    let Ok(value) = serde_json::from_slice::<Value>(line) else {
        return Triage::Reply(error_line(
            &Value::Null,
            -32700,
            &format!("Parse error: {error}"),
        ));
    };
    // JSON, but not a message rmcp knows. A notification (no id) is not
    // answered; a request is, with its id when the id is one JSON-RPC
    // allows.
    match value.as_object().map(|o| o.get("id")) {
        Some(None) => Triage::Skip,
        Some(Some(id)) => {
            let id = if id.is_string() || id.is_number() {
                id
            } else {
                &Value::Null
            };
            Triage::Reply(error_line(id, -32600, &format!("Invalid Request: {error}")))
        }
        None => Triage::Reply(error_line(
            &Value::Null,
            -32600,
            "Invalid Request: a message is a JSON object",
        )),
    }
}

type Output = Arc<Mutex<Box<dyn AsyncWrite + Unpin + Send>>>;

/// Writes `line` whole and flushes it, with the output's lock held.
async fn write_locked(
    out: &mut (dyn AsyncWrite + Unpin + Send),
    line: &[u8],
) -> std::io::Result<()> {
    out.write_all(line).await?;
    out.flush().await
}

/// Writes `line` whole under the output's lock.
async fn write_line(out: Output, line: Vec<u8>) -> std::io::Result<()> {
    write_locked(out.lock().await.as_mut(), &line).await
}

/// rmcp's transport over a line-delimited reader and writer (stdin and
/// stdout when served).
pub(crate) struct Stdio<R> {
    input: BufReader<R>,
    /// The line being read. It lives here, not in [`Self::read_line`]:
    /// rmcp polls `receive` in a `select!`, and a cancelled read resumes
    /// where it stopped.
    line: Vec<u8>,
    /// The line being read is over [`MAX_LINE`]; its bytes are skipped.
    too_long: bool,
    /// The line being read has begun.
    started: bool,
    out: Output,
    /// The answer to a bad line, not yet written.
    pending: Option<Vec<u8>>,
    /// Answers to bad lines being written; [`Transport::close`] waits for
    /// them.
    replies: tokio::task::JoinSet<()>,
}

impl<R: AsyncRead + Unpin + Send> Stdio<R> {
    pub(crate) fn new(input: R, output: Box<dyn AsyncWrite + Unpin + Send>) -> Self {
        Self {
            input: BufReader::new(input),
            line: Vec::new(),
            too_long: false,
            started: false,
            out: Arc::new(Mutex::new(output)),
            pending: None,
            replies: tokio::task::JoinSet::new(),
        }
    }

    /// Reads one line of at most [`MAX_LINE`] bytes into `self.line`
    /// (without its newline). Returns `None` at the end of input, else
    /// whether the line was too long (then `self.line` holds nothing of it).
    /// Cancellation-safe: bytes are consumed only as they are kept.
    async fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        loop {
            let buf = self.input.fill_buf().await?;
            if buf.is_empty() {
                let ended = std::mem::take(&mut self.started).then_some(self.too_long);
                self.too_long = false;
                return Ok(ended);
            }
            self.started = true;
            let (chunk, done) = match newline_at(buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !self.too_long && self.line.len() + chunk.len() > MAX_LINE {
                self.too_long = true;
                self.line.clear();
            }
            if !self.too_long {
                self.line.extend_from_slice(chunk);
            }
            let used = done.unwrap_or(buf.len());
            self.input.consume(used);
            if done.is_some() {
                self.started = false;
                return Ok(Some(std::mem::take(&mut self.too_long)));
            }
        }
    }
}

fn newline_at(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

fn log_reply(reply: &[u8]) {
    eprintln!(
        "connecty mcp: answered a bad line on stdin: {}",
        String::from_utf8_lossy(reply).trim_end()
    );
}

impl<R: AsyncRead + Unpin + Send> Transport<RoleServer> for Stdio<R> {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let out = Arc::clone(&self.out);
        async move {
            let mut line = serde_json::to_vec(&item).map_err(std::io::Error::other)?;
            line.push(b'\n');
            write_line(out, line).await
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            if self.pending.is_some() {
                // The output is taken before the next message goes to rmcp,
                // so the answer comes out in the order of the lines. The
                // answer is written by a task of its own: `receive` may be
                // cancelled (rmcp polls it in a `select!`), and half a line
                // on stdout would break the stream. Cancelled while
                // waiting for the lock, the answer is still pending.
                let out = Arc::clone(&self.out).lock_owned().await;
                // Answers already written leave the set, so a client that
                // sends bad line after bad line does not grow it.
                while self.replies.try_join_next().is_some() {}
                if let Some(reply) = self.pending.take() {
                    self.replies.spawn(async move {
                        let mut out = out;
                        if let Err(e) = write_locked(out.as_mut(), &reply).await {
                            eprintln!("connecty mcp: writing stdout failed: {e}");
                        }
                    });
                }
            }
            let too_long = match self.read_line().await {
                Ok(Some(too_long)) => too_long,
                Ok(None) => return None,
                Err(e) => {
                    eprintln!("connecty mcp: reading stdin failed: {e}");
                    return None;
                }
            };
            let verdict = triage(&self.line, too_long);
            self.line.clear();
            match verdict {
                Triage::Message(message) => return Some(*message),
                Triage::Reply(reply) => {
                    log_reply(&reply);
                    self.pending = Some(reply);
                }
                Triage::Skip => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        if let Some(reply) = self.pending.take() {
            write_line(Arc::clone(&self.out), reply).await?;
        }
        while self.replies.join_next().await.is_some() {}
        self.out.lock().await.flush().await
    }
}

/// stdin as an async reader. A pipe (as MCP clients start servers) is
/// read straight from the runtime's event loop; anything else (a terminal,
/// a file) through tokio's `stdin`, which hands each read to a blocking
/// thread: a thread switch per message, measured as most of a tool call's
/// cost on stdio (docs/benchmarks.md).
fn stdin() -> Box<dyn AsyncRead + Unpin + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        if let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned()
            && let Ok(pipe) = tokio::net::unix::pipe::Receiver::from_owned_fd(fd)
        {
            return Box::new(pipe);
        }
    }
    Box::new(tokio::io::stdin())
}

/// stdout as an async writer, read from the event loop as [`stdin`] is,
/// when it is a pipe that stderr does not share: a non-blocking pipe
/// shared with stderr would make a log line fail when the pipe is full.
fn stdout() -> Box<dyn AsyncWrite + Unpin + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        use std::os::unix::fs::MetadataExt as _;
        let pipe_of = |fd: std::os::fd::BorrowedFd<'_>| {
            let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
            let meta = file.metadata().ok()?;
            Some(((meta.dev(), meta.ino()), file))
        };
        let out = pipe_of(std::io::stdout().as_fd());
        let err = pipe_of(std::io::stderr().as_fd()).map(|(id, _)| id);
        if let Some((id, file)) = out
            && Some(id) != err
            && let Ok(pipe) = tokio::net::unix::pipe::Sender::from_file(file)
        {
            return Box::new(pipe);
        }
    }
    Box::new(tokio::io::stdout())
}

/// Serves `server` over stdin and stdout until the client closes stdin.
pub(crate) async fn serve(server: crate::ConnectyMcp) -> std::io::Result<()> {
    use rmcp::ServiceExt as _;
    let running = server
        .serve(Stdio::new(stdin(), stdout()))
        .await
        .map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error code of a reply, checking that it is one whole JSON-RPC
    /// error line; `None` for anything else.
    fn reply(t: &Triage) -> Option<(i64, Value)> {
        match t {
            Triage::Reply(line) => {
                let v: Value = serde_json::from_slice(line).unwrap();
                assert_eq!(v["jsonrpc"], "2.0");
                assert_eq!(*line.last().unwrap(), b'\n');
                Some((v["error"]["code"].as_i64().unwrap(), v["id"].clone()))
            }
            _ => None,
        }
    }

    #[test]
    fn each_kind_of_line_is_triaged() {
        use serde_json::json;
        let null = Value::Null;
        // line, too long, the reply's code and id (None: no reply), a message
        type Case<'a> = (&'a [u8], bool, Option<(i64, Value)>, bool);
        let cases: &[Case] = &[
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                false,
                None,
                true,
            ),
            (
                b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r",
                false,
                None,
                true,
            ),
            (
                br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                false,
                None,
                true,
            ),
            (
                b"this is not json",
                false,
                Some((-32700, null.clone())),
                false,
            ),
            (
                br#"{"jsonrpc":"2.0","id":1"#,
                false,
                Some((-32700, null.clone())),
                false,
            ),
            (b"\xff\xfe", false, Some((-32700, null.clone())), false),
            (b"", true, Some((-32600, null.clone())), false),
            // JSON, but not a message: a request is answered with its id.
            (
                br#"{"jsonrpc":"2.0","id":7,"params":{}}"#,
                false,
                Some((-32600, json!(7))),
                false,
            ),
            (
                br#"{"jsonrpc":"2.0","id":"a","params":{}}"#,
                false,
                Some((-32600, json!("a"))),
                false,
            ),
            (
                br#"{"jsonrpc":"2.0","id":[1],"params":{}}"#,
                false,
                Some((-32600, null.clone())),
                false,
            ),
            (b"[1, 2]", false, Some((-32600, null.clone())), false),
            (b"42", false, Some((-32600, null.clone())), false),
            // rmcp takes any method, known or not.
            (
                br#"{"jsonrpc":"2.0","method":"$/lsp-thing"}"#,
                false,
                None,
                true,
            ),
            // JSON without an id that is not a notification is not answered:
            // JSON-RPC never answers a message without an id.
            (br#"{"jsonrpc":"2.0","params":{}}"#, false, None, false),
            (b"  \r", false, None, false),
        ];
        for (line, too_long, want, message) in cases {
            let t = triage(line, *too_long);
            assert_eq!(reply(&t), *want, "{line:?}");
            assert_eq!(matches!(t, Triage::Message(_)), *message, "{line:?}");
        }
    }

    fn stdio(input: &'static [u8]) -> (Stdio<&'static [u8]>, tokio::io::DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        (Stdio::new(input, Box::new(ours)), theirs)
    }

    #[tokio::test]
    async fn lines_are_read_whole_and_long_ones_are_not_kept() {
        let mut text = b"{\"a\":1}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend_from_slice(b"\nlast");
        let text: &'static [u8] = Box::leak(text.into_boxed_slice());
        let (mut s, _out) = stdio(text);
        assert_eq!(s.read_line().await.unwrap(), Some(false));
        assert_eq!(s.line, b"{\"a\":1}");
        s.line.clear();
        assert_eq!(s.read_line().await.unwrap(), Some(true));
        assert!(s.line.is_empty());
        assert_eq!(s.read_line().await.unwrap(), Some(false));
        assert_eq!(s.line, b"last");
        s.line.clear();
        assert_eq!(s.read_line().await.unwrap(), None);
    }

    #[tokio::test]
    async fn bad_lines_are_answered_and_messages_go_on_in_order() {
        use tokio::io::AsyncReadExt as _;
        let input: &[u8] = b"garbage\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n\n\
            {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
        let (mut s, mut out) = stdio(input);
        let mut ids = Vec::new();
        while let Some(message) = s.receive().await {
            ids.push(serde_json::to_value(&message).unwrap()["id"].clone());
        }
        assert_eq!(ids, [1, 2]);
        s.close().await.unwrap();
        drop(s);
        let mut written = String::new();
        out.read_to_string(&mut written).await.unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 1, "{written}");
        let v: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["error"]["code"], -32700);
    }
}
