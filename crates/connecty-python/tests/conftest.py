"""Fixtures: the emulator (connecty.Emulator, on loopback) and
a scripted server (a few lines of http.server that answer what a test
says, as the Rust tests' scripted servers do)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import pytest

@pytest.fixture(scope="session")
def emulator():
    """The shipped emulator (connecty-emulator), in this process."""
    import connecty

    with connecty.Emulator() as emu:
        yield emu


class Script:
    """What the scripted server answers. `states` are the states the polls
    see before `final`; `results` is the COMPLETED body's `results`."""

    def __init__(self) -> None:
        self.token_status = 200
        self.ask_status = 200
        self.results_status = 200
        self.states: List[str] = []
        self.final: Optional[Dict[str, Any]] = {"state": "COMPLETED", "results": {"dataframe": [["x"], [1]]}}
        self.token_exchanges = 0
        self.asks = 0
        self.polls: Dict[str, int] = {}
        self.lock = threading.Lock()

    def frame_json(self, dataframe: str) -> None:
        """A COMPLETED answer whose dataframe is this JSON text, as written."""
        self.final = {"state": "COMPLETED", "raw": dataframe}

    def frame(self, dataframe: List[List[Any]], stats: Optional[Dict[str, Any]] = None, **extra: Any) -> None:
        results: Dict[str, Any] = {"dataframe": dataframe, **extra}
        if stats is not None:
            results["dataframe_stats"] = stats
        self.final = {"state": "COMPLETED", "results": results}


class Scripted:
    def __init__(self) -> None:
        script = self.script = Script()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Buffered: headers and body leave in one write (flushed after
            # each request), so Nagle and delayed ACKs add no 40 ms stalls.
            wbufsize = -1

            def log_message(self, *args: Any) -> None:
                pass

            def send(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/v1/health":
                    return self.send(200, {"status": "ok"})
                q = path.rstrip("/").split("/")[-2]
                with script.lock:
                    n = script.polls.get(q, 0)
                    script.polls[q] = n + 1
                if script.results_status != 200:
                    return self.send(script.results_status, {"error": "scripted"})
                if n < len(script.states):
                    return self.send(200, {"state": script.states[n]})
                if script.final is None:  # never done
                    return self.send(200, {"state": "IN_PROGRESS"})
                if "raw" in script.final:
                    body = '{"state":"COMPLETED","results":{"dataframe":%s}}' % script.final["raw"]
                    return self.send(200, body.encode())
                return self.send(200, script.final)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                if self.path == "/v1/auth/token":
                    with script.lock:
                        script.token_exchanges += 1
                    if script.token_status != 200:
                        return self.send(script.token_status, {"error": "invalid client credentials"})
                    return self.send(200, {"access_token": "scripted-token", "expires_at": "2099-01-01T00:00:00Z"})
                with script.lock:
                    script.asks += 1
                if script.ask_status != 200:
                    return self.send(script.ask_status, {"error": "scripted"})
                return self.send(200, {"question_id": str(uuid.uuid4())})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def client(self, **kwargs: Any) -> Any:
        import connecty

        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("client_id", "scripted-client")
        kwargs.setdefault("client_secret", "scripted-secret")
        return connecty.Client(**kwargs)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    s = Scripted()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def no_profile(tmp_path, monkeypatch):
    """Every test reads an empty config directory and no CONNECTY_ variables,
    never the user's own profile."""
    for name in list(os.environ):
        if name.startswith("CONNECTY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CONNECTY_CONFIG_DIR", str(tmp_path / "config"))


def pytest_sessionfinish(session, exitstatus):
    """No test skips: a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = 1
