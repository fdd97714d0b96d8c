"""The Python half of ``Answer``'s conversions: pyarrow, pandas, polars,
Python values, CSV and the short ``repr``. The Arrow data itself comes from
the Rust half through the Arrow PyCapsule interface, without a copy."""

from __future__ import annotations

import json
from typing import Any, List, Tuple

import pyarrow as pa

_JSON = b"arrow.json"


def to_arrow(answer: Any) -> "pa.Table":
    # Straight from the C stream: `pa.table(obj)` first asks whether obj is
    # a pandas DataFrame, which imports pandas (~170 ms and ~50 MiB the
    # first time, measured on 1,000,000 rows where the read itself takes
    # 0.1 ms: docs/benchmarks.md).
    return pa.RecordBatchReader.from_stream(answer).read_all()


def to_pandas(answer: Any) -> Any:
    return to_arrow(answer).to_pandas()


def to_polars(answer: Any) -> Any:
    import polars as pl

    return pl.DataFrame(answer)


def _is_json(field: "pa.Field") -> bool:
    meta = field.metadata or {}
    if meta.get(b"ARROW:extension:name") == _JSON:
        return True
    return getattr(field.type, "extension_name", None) == "arrow.json"


def _column_values(table: "pa.Table", i: int) -> List[Any]:
    field = table.schema.field(i)
    column = table.column(i)
    if _is_json(field):
        if isinstance(column.type, pa.ExtensionType):
            column = column.cast(column.type.storage_type)
        return [None if v is None else json.loads(v) for v in column.to_pylist()]
    return column.to_pylist()


def rows(answer: Any) -> List[Tuple[Any, ...]]:
    table = to_arrow(answer)
    columns = [_column_values(table, i) for i in range(table.num_columns)]
    return list(zip(*columns)) if columns else []


def write_csv(answer: Any, path: Any) -> None:
    import pyarrow.csv

    table = to_arrow(answer)
    fields = []
    for f in table.schema:
        t = f.type.storage_type if isinstance(f.type, pa.ExtensionType) else f.type
        fields.append(pa.field(f.name, t))
    table = table.cast(pa.schema(fields))
    pyarrow.csv.write_csv(table, path)


_SHOWN = 5


def _cell(v: Any) -> str:
    text = "None" if v is None else str(v)
    return text if len(text) <= 24 else text[:23] + "…"


def short_repr(answer: Any) -> str:
    head = f"<connecty.Answer {answer.state}"
    if answer.question_id:
        head += f" {answer.question_id}"
    n = len(answer)
    names = answer.columns
    head += f": {n} row{'s' if n != 1 else ''} × {len(names)} column{'s' if len(names) != 1 else ''}>"
    if not names:
        return head
    table = to_arrow(answer)
    shown = table.slice(0, _SHOWN) if n > 2 * _SHOWN else table
    cols = [_column_values(shown, i) for i in range(shown.num_columns)]
    lines = [names] + [[_cell(c[r]) for c in cols] for r in range(shown.num_rows)]
    if n > 2 * _SHOWN:
        lines.append(["…"] * len(names))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(names))]
    text = [head]
    for line in lines:
        text.append("  ".join(str(v).rjust(w) for v, w in zip(line, widths)).rstrip())
    return "\n".join(text)
