#!/usr/bin/env python3
"""The CLI benchmark's baseline: what a Python standard-library script does
to get the same CSV as `connecty ask ... --format csv`.

    CONNECTY_CLIENT_ID=... CONNECTY_CLIENT_SECRET=... \
        python3 ask_csv.py BASE_URL DW_ID QUESTION MAX_ROWS > answer.csv

The same four calls as connecty: exchange the credentials for a token, ask
the question, poll its results (include=dataframe, max_rows) on connecty's
default schedule (first poll at once, then 250 ms, x1.5, at most 5 s) until
COMPLETED, and write the dataframe as CSV (RFC 4180, CRLF line ends, null as
an empty field, booleans as true/false) to stdout. Like connecty it sends
Accept-Encoding: gzip and decodes gzip bodies, so the server does the same
work for both. Standard library only: urllib, json, gzip, csv.

ask_parquet.py imports fetch_dataframe (the four calls) from here.
"""

import csv
import gzip
import json
import os
import sys
import time
import urllib.request


def call(method, url, body=None, token=None):
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
        "User-Agent": "ask_csv.py",
    }
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        if response.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
    return json.loads(raw)


def cell(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def fetch_dataframe(base, dw, question, max_rows):
    """The four calls; returns the dataframe (a header row, then the rows)."""
    base = base.rstrip("/")
    token = call(
        "POST",
        base + "/v1/auth/token",
        {
            "client_id": os.environ["CONNECTY_CLIENT_ID"],
            "client_secret": os.environ["CONNECTY_CLIENT_SECRET"],
        },
    )["access_token"]
    question_id = call("POST", f"{base}/v1/dw/{dw}/questions", {"question": question}, token)[
        "question_id"
    ]
    url = f"{base}/v1/dw/{dw}/questions/{question_id}/results?include=dataframe&max_rows={max_rows}"
    delay = 0.25
    while True:
        answer = call("GET", url, token=token)
        state = answer.get("state")
        if state == "COMPLETED":
            break
        if state == "FAILED":
            sys.exit("question failed: " + str(answer.get("error")))
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)
    return answer["results"]["dataframe"]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: ask_csv.py BASE_URL DW_ID QUESTION MAX_ROWS")
    frame = fetch_dataframe(*sys.argv[1:5])
    writer = csv.writer(sys.stdout)
    writer.writerows([cell(v) for v in row] for row in frame)


if __name__ == "__main__":
    main()
