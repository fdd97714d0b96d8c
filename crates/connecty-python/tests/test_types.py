"""Every column kind arrives with connecty-arrow's type, and rows() gives
exact Python values."""

import datetime
import decimal

import pyarrow as pa


def test_every_column_kind_from_the_emulator(emulator):
    answer = emulator.client().ask(
        13,
        "SELECT 1 AS i, 1.5 AS f, 'x' AS s, '2025-01-02' AS d, "
        "'2025-10-24T11:03:05Z' AS ts, NULL AS n, 9223372036854775807 AS big, "
        "1 = 1 AS b",
    )
    schema = answer.to_arrow().schema
    assert [(f.name, f.type) for f in schema] == [
        ("i", pa.int64()),
        ("f", pa.float64()),
        ("s", pa.string()),
        ("d", pa.date32()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("n", pa.null()),
        ("big", pa.int64()),
        ("b", pa.int64()),
    ]
    (row,) = answer.rows()
    ts = row[4]
    assert row[:4] == (1, 1.5, "x", datetime.date(2025, 1, 2))
    assert ts.utcoffset() == datetime.timedelta(0)
    assert ts == datetime.datetime(2025, 10, 24, 11, 3, 5, tzinfo=datetime.timezone.utc)
    assert row[5:] == (None, 9223372036854775807, 1)


def test_big_integers_decimals_nulls_and_nested_values_are_exact(scripted):
    scripted.script.frame_json(
        """[
            ["u64", "d38", "dec", "flag", "nested", "mixed", "when"],
            [12345678901234567890, 123456789012345678901234567890, 0.10000000000000000001, true,
             {"a": [1, 2, {"b": null}]}, 1, "2025-10-24T11:03:05.196568+02:00"],
            [null, null, null, null, null, "two", null]
        ]"""
    )
    answer = scripted.client().ask(13, "anything")
    types = [f.type for f in answer.to_arrow().schema]
    assert types[:4] == [pa.uint64(), pa.decimal128(38, 0), pa.decimal128(38, 20), pa.bool_()]
    assert types[6] == pa.timestamp("us", tz="UTC")
    first, second = answer.rows()
    assert first[0] == 12345678901234567890 and isinstance(first[0], int)
    assert first[1] == decimal.Decimal("123456789012345678901234567890")
    assert first[2] == decimal.Decimal("0.10000000000000000001")
    assert first[3] is True
    assert first[4] == {"a": [1, 2, {"b": None}]}
    assert first[5] == 1 and second[5] == "two"
    assert first[6] == datetime.datetime(2025, 10, 24, 9, 3, 5, 196568, tzinfo=datetime.timezone.utc)
    assert second[:5] == (None,) * 5 and second[6] is None


def test_answer_attributes(emulator):
    answer = emulator.client().ask(13, "list the top 5 countries with the most orders")
    assert answer.state == "COMPLETED"
    assert len(answer.question_id) == 36
    assert answer.columns == ["country", "orders"]
    assert len(answer) == 5
    assert "SELECT" in answer.sql
    assert answer.summary
    assert answer.statistics["orders"]["general"]["count"] == 5
    c = answer.completeness
    assert (c.complete, c.rows, c.at_least, c.at_most) == (True, 5, 5, 5)
    text = repr(answer)
    assert text.splitlines()[0].endswith(": 5 rows × 2 columns>")
    assert "United States" in text


def test_files_and_frames(emulator, tmp_path):
    import pandas as pd
    import polars as pl
    import pyarrow.parquet as pq

    answer = emulator.client().ask(13, "list the top 5 countries with the most orders")
    answer.write_parquet(tmp_path / "a.parquet")
    assert pq.read_table(tmp_path / "a.parquet").equals(answer.to_arrow())
    answer.write_csv(str(tmp_path / "a.csv"))
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == '"country","orders"'
    assert isinstance(answer.to_pandas(), pd.DataFrame)
    assert answer.to_pandas()["orders"].tolist() == [r[1] for r in answer.rows()]
    assert isinstance(answer.to_polars(), pl.DataFrame)
    assert answer.to_polars()["orders"].to_list() == [r[1] for r in answer.rows()]
