"""Bench: the 200,000-row answer into a pandas DataFrame, through connecty
and through urllib + json + pandas.DataFrame (+ pd.to_datetime on the
timestamp column), each end to end in its own process.

    python crates/connecty-python/bench/to_pandas.py [--rows 200000] [--runs 5]

The emulator (connecty.Emulator with an `events` table of --rows rows)
runs in this process; each contender runs --runs times as
`python to_pandas.py --child NAME BASE_URL ROWS`, which reports its time
after interpreter start and imports, and its peak RSS. Figures are
medians. Run it with a release build of connecty (pip install
./crates/connecty-python), not `maturin develop`'s debug build.
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


def report(t0: float, df) -> None:
    import resource

    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"after_imports_s": elapsed, "peak_rss_mib": peak, "rows": len(df)}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--child", nargs=3, metavar=("NAME", "BASE", "ROWS"))
    a = p.parse_args()
    if a.child:
        name, base, rows = a.child
        {"connecty": child_connecty, "baseline": child_baseline}[name](base, int(rows))
        return

    import connecty

    with connecty.Emulator(large_table_rows=a.rows, quick=True) as emu:
        results = {}
        for name in ("connecty", "baseline"):
            runs = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, __file__, "--child", name, emu.base_url, str(a.rows)],
                    check=True, capture_output=True, text=True,
                ).stdout
                wall = time.perf_counter() - t0
                r = json.loads(out)
                assert r["rows"] == a.rows, r
                runs.append((wall, r["after_imports_s"], r["peak_rss_mib"]))
            results[name] = [statistics.median(x) for x in zip(*runs)]
    c, b = results["connecty"], results["baseline"]
    print(f"{a.rows} rows, median of {a.runs} runs each")
    print("contender  end_to_end_s  after_imports_s  peak_rss_mib")
    for name, (wall, inner, rss) in results.items():
        print(f"{name:<10} {wall:>12.3f} {inner:>16.3f} {rss:>13.1f}")
    print(f"connecty vs baseline: {b[0] / c[0]:.2f}x faster end to end, "
          f"{b[1] / c[1]:.2f}x after imports, {c[2] / b[2]:.2f}x the peak RSS")


if __name__ == "__main__":
    main()
