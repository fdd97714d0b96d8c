#!/usr/bin/env python3
"""The CLI benchmark's Parquet baseline: what a data user writes in Python to
get the same Parquet file as `connecty ask ... --format parquet --output FILE`.

    CONNECTY_CLIENT_ID=... CONNECTY_CLIENT_SECRET=... \
        python3 ask_parquet.py BASE_URL DW_ID QUESTION MAX_ROWS FILE

The same four calls as connecty and ask_csv.py (whose fetch_dataframe it
imports: token, ask, results polled on connecty's default schedule with
include=dataframe and max_rows, gzip accepted), then the dataframe into
pandas and pandas' to_parquet (pyarrow, its default compression). Needs
pandas and pyarrow: python3 -m pip install pandas pyarrow.
"""

import sys

import pandas as pd

from ask_csv import fetch_dataframe


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: ask_parquet.py BASE_URL DW_ID QUESTION MAX_ROWS FILE")
    frame = fetch_dataframe(*sys.argv[1:5])
    pd.DataFrame(frame[1:], columns=frame[0]).to_parquet(sys.argv[5])


if __name__ == "__main__":
    main()
