"""The Arrow PyCapsule interface, read by pyarrow, polars and DuckDB."""

import duckdb
import polars as pl
import pyarrow as pa


def test_pyarrow_polars_and_duckdb_read_the_capsule(emulator):
    answer = emulator.client().ask(13, "list the top 5 countries with the most orders")
    table = pa.table(answer)
    assert table.num_rows == 5 and table.column_names == ["country", "orders"]
    frame = pl.DataFrame(answer)
    assert frame["country"].to_list() == table.column("country").to_pylist()
    rows = duckdb.sql("SELECT country, orders FROM answer ORDER BY orders DESC").fetchall()
    assert rows == answer.rows()


def test_the_capsule_can_be_read_many_times(emulator):
    answer = emulator.client().ask(13, "list the top 5 countries with the most orders")
    assert pa.table(answer).equals(pa.table(answer))
    capsule = answer.__arrow_c_stream__()
    assert type(capsule).__name__ == "PyCapsule"
    reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
    assert reader.read_all().num_rows == 5
