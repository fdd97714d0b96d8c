"""on_progress, threads sharing one token, Ctrl-C, and memory."""

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest


def test_on_progress_sees_each_state(emulator):
    seen = []
    emulator.client().ask(13, "list the top 5 countries with the most orders", on_progress=seen.append)
    assert seen == ["PENDING", "IN_PROGRESS", "COMPLETED"]


def test_an_exception_in_on_progress_stops_the_wait(scripted):
    scripted.script.final = None  # it would wait 20 minutes

    def stop(state):
        raise RuntimeError(f"stop at {state}")

    with pytest.raises(RuntimeError, match="stop at IN_PROGRESS") as e:
        scripted.client().ask(13, "x", on_progress=stop)
    assert len(e.value.question_id) == 36


def test_eight_threads_on_one_client_make_one_token_exchange(scripted):
    client = scripted.client()
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(client.ask(13, "x"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8
    assert scripted.script.token_exchanges == 1
    assert client.token_exchanges == 1


CHILD = textwrap.dedent(
    """
    import sys, time, connecty
    client = connecty.Client(base_url=sys.argv[1], client_id="a", client_secret="b")
    def progress(state):
        print("waiting", flush=True)
    try:
        client.ask(13, "x", on_progress=progress)
    except KeyboardInterrupt as e:
        print("interrupted", time.monotonic(), e.question_id, flush=True)
    """
)


def test_ctrl_c_stops_a_wait_within_200_ms_with_the_question_id(scripted):
    scripted.script.final = None
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, scripted.base_url], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "waiting"
    import time

    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=10)
    word, caught, qid = out.split()
    assert word == "interrupted"
    assert float(caught) - sent < 0.2
    assert len(qid) == 36


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_stays_flat_across_1000_asks(scripted):
    scripted.script.frame([["id", "name"]] + [[i, f"name {i}"] for i in range(100)])
    client = scripted.client()
    for _ in range(100):
        client.ask(13, "x").to_arrow()
    before = rss()
    for _ in range(1000):
        answer = client.ask(13, "x")
        assert len(answer.to_arrow()) == 100
    after = rss()
    assert after < before * 1.10, (before, after)
