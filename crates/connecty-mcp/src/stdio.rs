//! stdio with JSON-RPC's answers to bad lines.
//!
//! rmcp's stdio transport drops a line that is not JSON, or one over its
//! size limit, without a word. JSON-RPC 2.0 asks for an error response
//! with a null id: `-32700` (parse error) for text that is not JSON, and
//! here `-32600` (invalid request) for a line over [`MAX_LINE`], which is
//! discarded unread. This module stands between stdin and rmcp: each line
//! is triaged ([`triage`], pure and table-tested); good lines go on to
//! rmcp, bad ones are answered on stdout. stdout stays protocol only: the
//! answers and rmcp's messages are written whole, one line at a time, by
//! one writer.

use serde::de::IgnoredAny;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The longest line read from stdin: 16 MiB, rmcp's own limit.
pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// What to do with one line from stdin.
#[derive(Debug, PartialEq, Eq)]
enum Triage {
    /// Hand it to rmcp.
    Forward,
    /// Answer it with this JSON-RPC error (a whole line, newline included).
    Reply(Vec<u8>),
    /// Nothing (an empty line).
    Skip,
}

fn error_line(code: i32, message: &str) -> Vec<u8> {
    let reply = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
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
            -32600,
            "Invalid Request: the message is over 16 MiB and was not read",
        ));
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Triage::Skip;
    }
    match serde_json::from_slice::<IgnoredAny>(line) {
        Ok(_) => Triage::Forward,
        Err(e) => Triage::Reply(error_line(-32700, &format!("Parse error: {e}"))),
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes into `line` (without its
/// newline). Returns `None` at the end of input, else whether the line was
/// too long (then `line` holds nothing of it).
async fn read_line<R: AsyncBufReadExt + Unpin>(
    input: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let buf = input.fill_buf().await?;
        if buf.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let (chunk, done) = match newline_at(buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if !too_long && line.len() + chunk.len() > MAX_LINE {
            too_long = true;
            line.clear();
        }
        if !too_long {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        input.consume(used);
        if done.is_some() {
            return Ok(Some(too_long));
        }
    }
}

fn newline_at(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

/// Copies `input` to `to_rmcp` line by line, answering bad lines through
/// `replies`; ends at the end of input (then rmcp sees its end too).
async fn feed<R, W>(input: R, mut to_rmcp: W, replies: mpsc::UnboundedSender<Vec<u8>>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    while let Ok(Some(too_long)) = read_line(&mut input, &mut line).await {
        match triage(&line, too_long) {
            Triage::Forward => {
                line.push(b'\n');
                if to_rmcp.write_all(&line).await.is_err() {
                    break;
                }
            }
            Triage::Reply(reply) => {
                log_reply(&reply);
                if replies.send(reply).is_err() {
                    break;
                }
            }
            Triage::Skip => {}
        }
    }
    let _ = to_rmcp.shutdown().await;
}

fn log_reply(reply: &[u8]) {
    eprintln!(
        "connecty mcp: answered a bad line on stdin: {}",
        String::from_utf8_lossy(reply).trim_end()
    );
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
    let (rmcp_end, our_end) = tokio::io::duplex(64 * 1024);
    let (from_rmcp, to_rmcp) = tokio::io::split(our_end);
    let (lines, mut out) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        let mut stdout = stdout();
        while let Some(line) = out.recv().await {
            if stdout.write_all(&line).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    let rmcp_lines = lines.clone();
    let drain = tokio::spawn(async move {
        let mut from_rmcp = BufReader::new(from_rmcp);
        loop {
            let mut line = Vec::new();
            match from_rmcp.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if rmcp_lines.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let input = tokio::spawn(feed(stdin(), to_rmcp, lines));
    let result = async {
        let running = server
            .serve(tokio::io::split(rmcp_end))
            .await
            .map_err(std::io::Error::other)?;
        running.waiting().await.map_err(std::io::Error::other)?;
        Ok(())
    }
    .await;
    // rmcp has finished: whatever it wrote is drained, then written out.
    input.abort();
    // The drain ends when rmcp's end of the pipe is dropped; it is, with
    // the service, but a bound keeps a stuck pipe from hanging the exit.
    let bound = std::time::Duration::from_secs(5);
    let _ = tokio::time::timeout(bound, drain).await;
    let _ = tokio::time::timeout(bound, writer).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_code(t: &Triage) -> Option<i64> {
        match t {
            Triage::Reply(line) => {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                assert_eq!(v["id"], serde_json::Value::Null);
                assert_eq!(v["jsonrpc"], "2.0");
                assert_eq!(*line.last().unwrap(), b'\n');
                v["error"]["code"].as_i64()
            }
            _ => None,
        }
    }

    #[test]
    fn each_kind_of_line_is_triaged() {
        let cases: &[(&[u8], bool, Option<i64>, bool)] = &[
            // line, too long, error code, forwarded
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                false,
                None,
                true,
            ),
            (b"[1, 2]", false, None, true),
            (b"this is not json", false, Some(-32700), false),
            (br#"{"jsonrpc":"2.0","id":1"#, false, Some(-32700), false),
            (b"\xff\xfe", false, Some(-32700), false),
            (b"", true, Some(-32600), false),
        ];
        for (line, too_long, code, forwarded) in cases {
            let t = triage(line, *too_long);
            assert_eq!(reply_code(&t), *code, "{line:?}");
            assert_eq!(t == Triage::Forward, *forwarded, "{line:?}");
        }
        assert_eq!(triage(b"  \r", false), Triage::Skip);
    }

    #[tokio::test]
    async fn lines_are_read_whole_and_long_ones_are_not_kept() {
        let mut text = b"{\"a\":1}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend_from_slice(b"\nlast");
        let mut input = BufReader::with_capacity(4096, &text[..]);
        let mut line = Vec::new();
        assert_eq!(read_line(&mut input, &mut line).await.unwrap(), Some(false));
        assert_eq!(line, b"{\"a\":1}");
        assert_eq!(read_line(&mut input, &mut line).await.unwrap(), Some(true));
        assert!(line.is_empty());
        assert_eq!(read_line(&mut input, &mut line).await.unwrap(), Some(false));
        assert_eq!(line, b"last");
        assert_eq!(read_line(&mut input, &mut line).await.unwrap(), None);
    }

    #[tokio::test]
    async fn bad_lines_are_answered_and_good_ones_go_on_in_order() {
        let input: &[u8] = b"garbage\n{\"id\":1}\n\n{\"id\":2}\n";
        let (to_rmcp, mut rmcp_side) = tokio::io::duplex(1024);
        let (tx, mut rx) = mpsc::unbounded_channel();
        feed(input, to_rmcp, tx).await;
        let mut forwarded = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut rmcp_side, &mut forwarded)
            .await
            .unwrap();
        assert_eq!(forwarded, "{\"id\":1}\n{\"id\":2}\n");
        let reply = rx.recv().await.unwrap();
        assert_eq!(reply_code(&Triage::Reply(reply)), Some(-32700));
        assert!(rx.recv().await.is_none());
    }
}
