"""Bench: the 200,000-row answer into a pandas DataFrame, through connecty
and through urllib + json + pandas.DataFrame (+ pd.to_datetime on the
timestamp column), each end to end in its own process; and to_arrow() of
a 1,000,000-row answer, with peak RSS.

    python crates/connecty-python/bench/to_pandas.py [--rows 200000] [--runs 5]
        [--arrow-rows 1000000] [--base-url URL] [--json]

`cargo xtask bench` runs it (its `python` section) with a release wheel,
against the bench's own emulator (`Schedule::IMMEDIATE`: an answer is
complete at the first poll, so neither side measures sleeping); without
--base-url it starts connecty.Emulator(quick=True) in this process.
Each contender runs --runs times as `python to_pandas.py --child NAME
BASE_URL ROWS`, which reports its time after interpreter start and
imports, and its peak RSS. Figures are medians. Run it with a release
build of connecty (pip install ./crates/connecty-python), not `maturin
develop`'s debug build.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

QUESTION = "SELECT * FROM events ORDER BY id"
ID, SECRET = "emulator-client", "emulator-secret"


def child_connecty(base: str, rows: int) -> None:
    import pandas  # noqa: F401  (imported before the clock, as the baseline's)

    import connecty

    t0 = time.perf_counter()
    client = connecty.Client(base_url=base, client_id=ID, client_secret=SECRET)
    df = client.ask(13, QUESTION, max_rows=rows, include=["dataframe"]).to_pandas()
    report(t0, df)


def child_baseline(base: str, rows: int) -> None:
    import urllib.request

    import pandas as pd

    t0 = time.perf_counter()

    def call(method: str, path: str, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    token = call("POST", "/v1/auth/token", {"client_id": ID, "client_secret": SECRET})["access_token"]
    qid = call("POST", "/v1/dw/13/questions", {"question": QUESTION}, token)["question_id"]
    path = f"/v1/dw/13/questions/{qid}/results?include=dataframe&max_rows={rows}"
    body = call("GET", path, token=token)
    while body["state"] not in ("COMPLETED", "FAILED"):
        time.sleep(0.25)  # connecty's first poll interval
        body = call("GET", path, token=token)
    frame = body["results"]["dataframe"]
    df = pd.DataFrame(frame[1:], columns=frame[0])
    df["occurred_at"] = pd.to_datetime(df["occurred_at"], format="ISO8601", utc=True)
    report(t0, df)


def child_arrow(base: str, rows: int) -> None:
    """One ask of ROWS rows, then to_arrow() twice: the conversion happens
    once, in the ask; to_arrow() hands out the same buffers (no copy)."""
    import pyarrow  # noqa: F401

    import connecty

    client = connecty.Client(base_url=base, client_id=ID, client_secret=SECRET)
    t0 = time.perf_counter()
    answer = client.ask(13, QUESTION, max_rows=rows, include=["dataframe"])
    t1 = time.perf_counter()
    rss_answer = rss_now_mib()
    table = answer.to_arrow()
    t2 = time.perf_counter()
    rss_table = rss_now_mib()
    again = answer.to_arrow()

    def addresses(t):
        return [b.address for c in t.columns for chunk in c.chunks for b in chunk.buffers() if b is not None]

    import resource

    print(json.dumps({
        "rows": table.num_rows,
        "ask_s": t1 - t0,
        "to_arrow_s": t2 - t1,
        "rss_after_ask_mib": rss_answer,
        "rss_after_to_arrow_mib": rss_table,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "arrow_mib": table.nbytes / 2**20,
        "same_buffers": addresses(table) == addresses(again) and len(addresses(table)) > 0,
    }))


def rss_now_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report(t0: float, df) -> None:
    import resource

    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"after_imports_s": elapsed, "peak_rss_mib": peak, "rows": len(df)}))


def run_child(name: str, base: str, rows: int) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, base, str(rows)],
        check=True, capture_output=True, text=True,
    ).stdout
    r = json.loads(out)
    r["end_to_end_s"] = time.perf_counter() - t0
    assert r["rows"] == rows, r
    return r


def measure(base: str, a) -> dict:
    results = {}
    # Alternating runs, so that a noisy moment hits both sides.
    runs = {"connecty": [], "baseline": []}
    for _ in range(a.runs):
        for name in runs:
            r = run_child(name, base, a.rows)
            runs[name].append((r["end_to_end_s"], r["after_imports_s"], r["peak_rss_mib"]))
    for name, rs in runs.items():
        results[name] = dict(zip(("end_to_end_s", "after_imports_s", "peak_rss_mib"),
                                 (statistics.median(x) for x in zip(*rs))))
    if a.arrow_rows:
        results["to_arrow"] = run_child("arrow", base, a.arrow_rows)
    return results


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--arrow-rows", type=int, default=1_000_000)
    p.add_argument("--base-url")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", nargs=3, metavar=("NAME", "BASE", "ROWS"))
    a = p.parse_args()
    if a.child:
        name, base, rows = a.child
        {"connecty": child_connecty, "baseline": child_baseline, "arrow": child_arrow}[name](base, int(rows))
        return

    if a.base_url:
        results = measure(a.base_url, a)
    else:
        import connecty

        with connecty.Emulator(large_table_rows=max(a.rows, a.arrow_rows), quick=True) as emu:
            results = measure(emu.base_url, a)
    if a.json:
        print(json.dumps(results))
        return
    c, b = results["connecty"], results["baseline"]
    print(f"{a.rows} rows, median of {a.runs} runs each")
    print("contender  end_to_end_s  after_imports_s  peak_rss_mib")
    for name in ("connecty", "baseline"):
        r = results[name]
        print(f"{name:<10} {r['end_to_end_s']:>12.3f} {r['after_imports_s']:>16.3f} {r['peak_rss_mib']:>13.1f}")
    print(f"connecty vs baseline: {b['end_to_end_s'] / c['end_to_end_s']:.2f}x faster end to end, "
          f"{b['after_imports_s'] / c['after_imports_s']:.2f}x after imports, "
          f"{c['peak_rss_mib'] / b['peak_rss_mib']:.2f}x the peak RSS")
    if "to_arrow" in results:
        t = results["to_arrow"]
        print(f"to_arrow() of {t['rows']} rows: ask {t['ask_s']:.3f} s, to_arrow {t['to_arrow_s'] * 1e3:.2f} ms, "
              f"RSS {t['rss_after_ask_mib']:.0f} -> {t['rss_after_to_arrow_mib']:.0f} MiB "
              f"(Arrow data {t['arrow_mib']:.0f} MiB, peak {t['peak_rss_mib']:.0f} MiB), "
              f"same buffers on a second call: {t['same_buffers']}")


if __name__ == "__main__":
    main()
