"""End-to-end checks of `connecty mcp` with the official Python MCP SDK as the
client, over stdio or Streamable HTTP (argv[1]), against the emulator.

Run by crates/connecty-cli/tests/mcp/main.rs, which starts the emulators and
passes their URLs in the environment. Every check asserts; the first failure
ends the run with a traceback. Each tool result and the server's stderr are
appended to $MCP_TRANSCRIPT, which the Rust side greps for secrets.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import anyio
import httpx2
import pyarrow.parquet as pq
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

TRANSPORT = sys.argv[1]
BIN = os.environ["CONNECTY_BIN"]
FAST = os.environ["FAST_URL"]
SLOW = os.environ["SLOW_URL"]
EXACT = os.environ["EXACT_URL"]
CLIENT_ID = os.environ["MCP_CLIENT_ID"]
SECRET = os.environ["MCP_CLIENT_SECRET"]
TRANSCRIPT = os.environ["MCP_TRANSCRIPT"]
TOKEN = "mcp-test-token-7c41a0"
CONFIG_DIR = tempfile.mkdtemp()
QID_RE_LEN = 36


def record(what, value):
    with open(TRANSCRIPT, "a", encoding="utf-8") as f:
        f.write(f"--- {what}\n{value}\n")


def server_env(base_url):
    return {
        "CONNECTY_BASE_URL": base_url,
        "CONNECTY_CLIENT_ID": CLIENT_ID,
        "CONNECTY_CLIENT_SECRET": SECRET,
        "CONNECTY_CONFIG_DIR": CONFIG_DIR,
        "CONNECTY_MCP_TOKEN": TOKEN,
        "PATH": os.environ.get("PATH", ""),
    }


class Server:
    """One `connecty mcp` process and a session with it."""

    def __init__(self, base_url, flags):
        self.base_url = base_url
        self.flags = flags
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.url = None

    def stderr(self):
        with open(self.log.name, encoding="utf-8") as f:
            return f.read()


@contextlib.asynccontextmanager
async def serve(base_url="", *flags, headers=None, logging_callback=None):
    base_url = base_url or FAST
    server = Server(base_url, list(flags))
    args = ["mcp", *flags]
    try:
        if TRANSPORT == "stdio":
            params = StdioServerParameters(command=BIN, args=args, env=server_env(base_url))
            async with stdio_client(params, errlog=server.log) as (read, write):
                async with ClientSession(read, write, logging_callback=logging_callback) as s:
                    await s.initialize()
                    yield s, server
        else:
            proc = subprocess.Popen(
                [BIN, *args, "--http", "127.0.0.1:0"],
                env=server_env(base_url),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=server.log,
            )
            try:
                server.url = await wait_for_url(server)
                server.proc = proc
                client = create_mcp_http_client(
                    headers=headers or {"Authorization": f"Bearer {TOKEN}"}
                )
                async with client:
                    async with streamable_http_client(server.url, http_client=client) as (read, write):
                        async with ClientSession(read, write, logging_callback=logging_callback) as s:
                            await s.initialize()
                            yield s, server
                out = proc.stdout.read1(65536) if proc.poll() is not None else b""
                assert out == b"", f"HTTP mode wrote on stdout: {out!r}"
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        record(f"server stderr ({TRANSPORT} {flags})", server.stderr())
        server.log.close()
        os.unlink(server.log.name)


async def wait_for_url(server):
    for _ in range(200):
        # Complete lines only: the server may be writing this one still.
        for line in server.stderr().split("\n")[:-1]:
            if "serving Streamable HTTP at " in line:
                return line.split("serving Streamable HTTP at ", 1)[1].strip()
        await anyio.sleep(0.05)
    raise AssertionError(f"no URL on stderr:\n{server.stderr()}")


async def call(s, name, args, **kw):
    r = await s.call_tool(name, args, **kw)
    record(f"{name} {json.dumps(args)}", r.model_dump_json())
    return r


def text(r):
    return "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")


# ---------------------------------------------------------------------------


async def lists_the_tools_and_their_schemas():
    async with serve(FAST) as (s, _):
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert set(tools) == {"ask", "results", "health"}, tools.keys()
        for t in tools.values():
            assert t.input_schema["type"] == "object", t
            assert t.output_schema and t.output_schema["type"] == "object", t
            assert t.input_schema.get("additionalProperties") is False, t
            assert len(t.description) > 40, t
        ask = tools["ask"].input_schema
        assert ask["required"] == ["question", "dw"], ask
        assert set(ask["properties"]) >= {"question", "dw", "max_rows", "all_rows", "include", "save_as"}
        assert ask["properties"]["include"]["items"]["enum"] == ["dataframe", "statistics", "sqlquery", "summary"]
        res = tools["results"].input_schema
        assert set(res["properties"]) >= {"question_id", "dw", "wait", "max_rows", "all_rows", "save_as"}
        assert "call results" in tools["ask"].description
        assert "budget" in tools["ask"].description
        out = tools["ask"].output_schema["properties"]
        assert set(out) >= {"question_id", "state", "summary", "sql", "columns", "rows", "row_count", "completeness", "rows_omitted"}
    async with serve(FAST, "--dw", "13") as (s, _):
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert tools["ask"].input_schema["required"] == ["question"]
        r = await call(s, "health", {})
        assert not r.is_error and r.structured_content["status"] == "ok", r


async def ask_keeps_cells_exact():
    sql = "SELECT 9223372036854775807 AS big, -42 AS neg, 0.1 AS f, 'żółw 🐢 \"q\" | x' AS u, NULL AS n"
    async with serve(FAST, "--dw", "13") as (s, _):
        r = await call(s, "ask", {"question": sql})
        assert not r.is_error, text(r)
        sc = r.structured_content
        assert sc["state"] == "COMPLETED" and len(sc["question_id"]) == QID_RE_LEN, sc
        assert sc["sql"] == sql and sc["summary"], sc
        assert [c["type"] for c in sc["columns"]] == ["int64", "int64", "float64", "utf8", "null"], sc["columns"]
        assert sc["rows"] == [[9223372036854775807, -42, 0.1, 'żółw 🐢 "q" | x', None]], sc["rows"]
        assert sc["row_count"] == 1 and sc["rows_omitted"] == 0, sc
        assert sc["completeness"] == {"complete": True, "rows": 1, "at_least": 1, "at_most": 1}, sc
        t = text(r)
        assert "9223372036854775807" in t and "żółw 🐢" in t and "\\|" in t, t
    # A scripted API answer: a 20-digit integer, a decimal, nested values.
    async with serve(EXACT, "--dw", "13") as (s, _):
        r = await call(s, "ask", {"question": "awkward cells"})
        assert not r.is_error, text(r)
        sc = r.structured_content
        types = {c["name"]: c["type"] for c in sc["columns"]}
        assert types == {"big": "uint64", "dec": "decimal128(38,12)", "f": "float64", "nested": "json", "u": "utf8"}, types
        assert sc["rows"][0] == [12345678901234567890, "1234567890.123456789012", 12.5, {"k": [1, 2, "x, y"]}, "żółw 🐢"], sc["rows"]
        assert "12345678901234567890" in text(r)


async def the_budget_and_save_as():
    with tempfile.TemporaryDirectory() as out:
        async with serve(FAST, "--dw", "13", "--output-dir", out) as (s, _):
            q = "SELECT id, customer_id, amount, status FROM orders ORDER BY id"
            r = await call(s, "ask", {"question": q, "max_rows": 2000})
            sc = r.structured_content
            assert not r.is_error, text(r)
            assert sc["row_count"] == 2000, sc["row_count"]
            assert len(sc["rows"]) == 100 and sc["rows_omitted"] == 1900, (len(sc["rows"]), sc["rows_omitted"])
            assert sc["completeness"]["complete"] is False and sc["completeness"]["at_least"] == 5000, sc["completeness"]
            t = text(r)
            assert "1900 rows were left out" in t and "save_as" in t and "all_rows" in t, t
            assert len(json.dumps(sc)) + len(t) <= 32 * 1024 + 2048, len(json.dumps(sc)) + len(t)
            qid = sc["question_id"]
            r = await call(s, "results", {"question_id": qid, "all_rows": True, "save_as": "orders.parquet"})
            assert not r.is_error, text(r)
            saved = r.structured_content["saved"]
            assert saved["rows"] == 5000 and saved["path"].endswith("orders.parquet"), saved
            assert os.path.realpath(os.path.dirname(saved["path"])) == os.path.realpath(out), saved
            table = pq.read_table(saved["path"])
            assert table.num_rows == 5000 and table.column_names == ["id", "customer_id", "amount", "status"], table.schema
            assert str(table.schema.field("id").type) == "int64", table.schema
            assert os.path.getsize(saved["path"]) == saved["bytes"]
            for name in ["o.csv", "o.json", "o.ndjson", "o.arrow"]:
                r = await call(s, "results", {"question_id": qid, "save_as": name, "max_rows": 3})
                assert not r.is_error and r.structured_content["saved"]["rows"] == 3, text(r)
            csv = open(os.path.join(out, "o.csv"), encoding="utf-8", newline="").read()
            assert csv.startswith("id,customer_id,amount,status\r\n1,"), csv
            # A small byte budget shows fewer rows, and counts the rest.
        async with serve(FAST, "--dw", "13", "--max-result-bytes", "4096", "--max-result-rows", "1000") as (s, _):
            r = await call(s, "ask", {"question": "SELECT * FROM customers", "max_rows": 500})
            sc = r.structured_content
            shown = len(sc["rows"])
            assert 0 < shown < 100 and sc["rows_omitted"] == 500 - shown, (shown, sc["rows_omitted"])
            assert "--output-dir" in text(r), text(r)


async def path_traversal_is_refused():
    with tempfile.TemporaryDirectory() as root:
        out = os.path.join(root, "out")
        os.mkdir(out)
        with open(os.path.join(root, "outside.csv"), "w") as f:
            f.write("keep")
        os.symlink(os.path.join(root, "outside.csv"), os.path.join(out, "link.csv"))
        with open(os.path.join(out, "taken.csv"), "w") as f:
            f.write("keep")
        async with serve(FAST, "--dw", "13", "--output-dir", out) as (s, _):
            cases = {
                "../escape.csv": "`..`",
                "/tmp/abs.csv": "absolute",
                "sub/x.csv": "separators",
                "link.csv": "symbolic link",
                "taken.csv": "overwrite: true",
                "x.txt": "extension",
            }
            for name, words in cases.items():
                r = await call(s, "ask", {"question": "SELECT 1 AS one", "save_as": name, "overwrite": name == "link.csv"})
                assert r.is_error and words in text(r), (name, text(r))
            r = await call(s, "ask", {"question": "SELECT 1 AS one", "save_as": "taken.csv", "overwrite": True})
            assert not r.is_error, text(r)
        assert open(os.path.join(root, "outside.csv")).read() == "keep"
        assert sorted(os.listdir(root)) == ["out", "outside.csv"], os.listdir(root)
        taken = open(os.path.join(out, "taken.csv"), newline="").read()
        assert taken == "one\r\n1\r\n", taken
    async with serve(FAST, "--dw", "13") as (s, _):
        r = await call(s, "ask", {"question": "SELECT 1 AS one", "save_as": "a.csv"})
        assert r.is_error and "--output-dir" in text(r), text(r)


async def progress_notifications():
    seen = []

    async def on_progress(progress, total, message):
        seen.append((time.monotonic(), progress, message))

    logs = []

    async def on_log(params):
        logs.append(params)

    async with serve(SLOW, "--dw", "13", logging_callback=on_log) as (s, _):
        start = time.monotonic()
        r = await call(s, "ask", {"question": "SELECT 1 AS one"}, progress_callback=on_progress)
        took = time.monotonic() - start
        assert not r.is_error and r.structured_content["state"] == "COMPLETED", text(r)
    assert took > 2.5, took
    assert len(seen) >= 3, seen
    progresses = [p for _, p, _ in seen]
    assert progresses == sorted(progresses) and len(set(progresses)) == len(progresses), progresses
    gaps = [b[0] - a[0] for a, b in zip([(start, 0, "")] + seen, seen)]
    assert max(gaps) < 2.0, gaps
    assert any("IN_PROGRESS" in (m or "") for _, _, m in seen), seen
    # A notification at every poll: the polls named run 1, 2, 3... with none
    # missing (the every-second ones repeat the last poll's number), the
    # last one COMPLETED.
    polls = [int(m.split(", poll ")[1].split(",")[0]) for _, _, m in seen if ", poll " in (m or "")]
    assert polls == sorted(polls) and sorted(set(polls)) == list(range(1, max(polls) + 1)), seen
    assert max(polls) >= 3, seen
    assert "COMPLETED, poll" in seen[-1][2], seen


async def cancel_stops_the_wait():
    logs = []

    async def on_log(params):
        logs.append(params)

    async with serve(SLOW, "--dw", "13", logging_callback=on_log) as (s, server):
        await s.set_logging_level("info")
        start = time.monotonic()
        with anyio.move_on_after(0.8):
            await s.call_tool("ask", {"question": "SELECT 2 AS two"})
            raise AssertionError("the call was not cancelled")
        r = await call(s, "health", {})
        assert not r.is_error, text(r)
        assert time.monotonic() - start < 2.0
        for _ in range(40):
            if "goes on server-side" in server.stderr():
                break
            await anyio.sleep(0.05)
        assert "cancelled by the client" in server.stderr() and "goes on server-side" in server.stderr(), server.stderr()
        for _ in range(40):
            if logs:
                break
            await anyio.sleep(0.05)
        assert any("goes on server-side" in json.dumps(l.data) for l in logs), logs


async def the_deadline_then_results():
    async with serve(SLOW, "--dw", "13", "--tool-timeout", "1") as (s, _):
        start = time.monotonic()
        r = await call(s, "ask", {"question": "SELECT 3 AS three"})
        assert time.monotonic() - start < 2.5
        assert not r.is_error, text(r)
        sc = r.structured_content
        assert sc["state"] in ("PENDING", "IN_PROGRESS"), sc
        assert "call results with this question_id to go on waiting" in sc["message"], sc
        assert "call results with this question_id to go on waiting" in text(r)
        qid = sc["question_id"]
        for _ in range(5):
            r = await call(s, "results", {"question_id": qid})
            if r.structured_content["state"] == "COMPLETED":
                break
        assert r.structured_content["state"] == "COMPLETED" and r.structured_content["rows"] == [[3]], r
        r = await call(s, "results", {"question_id": qid, "wait": False})
        assert r.structured_content["rows"] == [[3]], r


async def failed_bad_arguments_unknown_workspace():
    async with serve(FAST) as (s, _):
        r = await call(s, "ask", {"question": "what is the meaning of life", "dw": 13})
        assert r.is_error and "failed" in text(r) and "hint:" in text(r), text(r)
        r = await call(s, "ask", {"question": "SELECT 1", "dw": 999})
        assert r.is_error and "999" in text(r) and "the dw argument" in text(r), text(r)
        bad = [
            ({"dw": 13}, '"question"'),
            ({"question": "q", "dw": "13"}, '"dw"'),
            ({"question": "q"}, '"dw"'),
            ({"question": "q", "dw": 13, "max_rows": 0}, '"max_rows"'),
            ({"question": "q", "dw": 13, "max_rows": 10000001}, '"max_rows"'),
            ({"question": "q", "dw": 13, "include": ["tables"]}, '"include"'),
            ({"question": "q", "dw": 13, "colour": "red"}, '"colour"'),
        ]
        for args, name in bad:
            r = await call(s, "ask", args)
            assert r.is_error and name in text(r), (args, text(r))
        r = await call(s, "results", {"question_id": "not-a-uuid", "dw": 13})
        assert r.is_error and '"question_id"' in text(r), text(r)
        # The server lives on.
        r = await call(s, "ask", {"question": "SELECT 1 AS one", "dw": 13})
        assert not r.is_error, text(r)
    # A transport failure: nothing listens on port 1.
    async with serve("http://127.0.0.1:1", "--dw", "13") as (s, _):
        r = await call(s, "ask", {"question": "SELECT 1 AS one"})
        assert r.is_error and "hint:" in text(r) and "127.0.0.1:1" in text(r), text(r)


async def fifty_concurrent_calls():
    async with serve(FAST, "--dw", "13") as (s, _):
        results = [None] * 50

        async def one(i):
            results[i] = await s.call_tool("ask", {"question": f"SELECT {i} AS i"})

        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(one, i)
        for i, r in enumerate(results):
            assert not r.is_error and r.structured_content["rows"] == [[i]], (i, r)


async def garbage_on_stdin():
    env = server_env(FAST)
    proc = subprocess.Popen(
        [BIN, "mcp", "--dw", "13"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    init = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    }
    big = {"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"pad": "x" * (17 * 1024 * 1024)}}
    lines = [b"this is not json\n", json.dumps(init).encode() + b"\n", json.dumps(big).encode() + b"\n",
             b'{"jsonrpc":"2.0","id":3,"method":"ping"}\n']
    out, err = proc.communicate(b"".join(lines), timeout=60)
    record("raw stdio stderr", err.decode(errors="replace"))
    replies = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    record("raw stdio stdout", replies)
    ids = [r.get("id") for r in replies]
    # A line that is not JSON gets JSON-RPC's parse error (-32700) and one
    # over 16 MiB an invalid-request error (-32600), both with a null id;
    # the server goes on and answers the rest.
    # (The second error may come before or after the answer to id 1.)
    assert [i for i in ids if i is not None] == [1, 3], replies
    assert [r["error"]["code"] for r in replies if r.get("id") is None] == [-32700, -32600], replies
    assert ids[0] is None, replies
    assert proc.returncode == 0, proc.returncode


async def http_auth_origin_and_limits():
    async with serve(FAST, "--dw", "13") as (s, server):
        url = server.url
        init = {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        }
        accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        async with httpx2.AsyncClient() as h:
            r = await h.post(url, json=init, headers=accept)
            assert r.status_code == 401, r
            r = await h.post(url, json=init, headers={**accept, "Authorization": "Bearer wrong"})
            assert r.status_code == 401, r
            r = await h.post(url, json=init, headers={**accept, "Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.example"})
            assert r.status_code == 403, r
            r = await h.post(url, json=init, headers={**accept, "Authorization": f"Bearer {TOKEN}", "Origin": "http://localhost:6274"})
            assert r.status_code == 200, (r, r.text)
            try:
                r = await h.post(url, content=b"x" * (5 * 1024 * 1024), headers={**accept, "Authorization": f"Bearer {TOKEN}"})
                assert r.status_code == 413, r
            except httpx2.RemoteProtocolError:
                pass  # the server answered 413 and closed before the body was all sent
        # A client that goes away mid-call: its own session, a question the
        # emulator takes a while over, and the connection dropped at 0.3 s.
        auth = {**accept, "Authorization": f"Bearer {TOKEN}"}
        async with httpx2.AsyncClient() as h:
            r = await h.post(url, json=init, headers=auth)
            assert r.status_code == 200, (r, r.text)
            auth["mcp-session-id"] = r.headers["mcp-session-id"]
            auth["mcp-protocol-version"] = "2025-06-18"
            r = await h.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=auth)
            assert r.status_code == 202, (r, r.text)
            slow_sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
                        "SELECT count(*) AS n FROM c")
            with anyio.move_on_after(0.3) as scope:
                await h.post(url, json={"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                             "params": {"name": "ask", "arguments": {"question": slow_sql}}}, headers=auth)
            assert scope.cancelled_caught, "the slow question answered within 0.3 s"
        r = await call(s, "ask", {"question": "SELECT 1 AS one"})
        assert not r.is_error, text(r)
    with anyio.fail_after(30):
        try:
            async with serve(FAST, headers={"Authorization": "Bearer wrong"}) as (s, _):
                raise AssertionError("a wrong token was let in")
        except AssertionError:
            raise
        except BaseException as e:  # the SDK raises its own error for a 401
            record("wrong token", repr(e))


async def main():
    checks = [
        lists_the_tools_and_their_schemas,
        ask_keeps_cells_exact,
        the_budget_and_save_as,
        path_traversal_is_refused,
        progress_notifications,
        cancel_stops_the_wait,
        the_deadline_then_results,
        failed_bad_arguments_unknown_workspace,
        fifty_concurrent_calls,
    ]
    if TRANSPORT == "stdio":
        checks.append(garbage_on_stdin)
    else:
        checks.append(http_auth_origin_and_limits)
    only = os.environ.get("MCP_ONLY")
    for check in checks:
        if only and check.__name__ != only:
            continue
        start = time.monotonic()
        with anyio.fail_after(120):
            await check()
        print(f"ok {TRANSPORT} {check.__name__} ({time.monotonic() - start:.1f} s)", flush=True)


try:
    anyio.run(main)
finally:
    shutil.rmtree(CONFIG_DIR, ignore_errors=True)
