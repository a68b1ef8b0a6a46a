"""Writing FOCUS 1.2 files batch by batch: CSV (plain or gzip) in FOCUS's text formats, Parquet typed.

The batches come as FOCUS text (costs.selectors.focus_line_batches): decimals in plain notation,
Date/Time as ISO 8601 UTC `YYYY-MM-DDTHH:MM:SSZ`, Tags as a JSON object, null where the bill has no
value. CSV writes that text as it is; Parquet gets FOCUS's types: decimals (never floats), UTC
timestamps, strings. A column or basis the bill does not carry is null in both (never 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from costs.selectors import FOCUS_COLUMNS, FOCUS_DATETIMES, FOCUS_MONEY, FOCUS_QUANTITIES

MONEY = pa.decimal128(28, 12)  # costs.models.money_field
QUANTITY = pa.decimal128(32, 15)  # costs.models.quantity_field
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _type(name: str) -> pa.DataType:
    if name in FOCUS_MONEY:
        return MONEY
    if name in FOCUS_QUANTITIES:
        return QUANTITY
    if name in FOCUS_DATETIMES:
        return TIMESTAMP
    return pa.string()


SCHEMA = pa.schema([pa.field(name, _type(name)) for name in FOCUS_COLUMNS])
TEXT_SCHEMA = pa.schema([pa.field(name, pa.string()) for name in FOCUS_COLUMNS])


def focus_text_table(batch: pa.Table) -> pa.Table:
    """One batch as every FOCUS column, in file order, as text (null for the columns the bill lacks)."""
    rows = batch.num_rows
    arrays = [
        batch.column(name) if name in batch.column_names else pa.nulls(rows, pa.string()) for name in FOCUS_COLUMNS
    ]
    return pa.Table.from_arrays(arrays, schema=TEXT_SCHEMA)


def focus_typed_table(text: pa.Table) -> pa.Table:
    """The same batch in FOCUS's types (what Parquet stores)."""
    return pa.Table.from_arrays([text.column(f.name).cast(f.type) for f in SCHEMA], schema=SCHEMA)


class FocusWriter(Protocol):
    def write(self, text: pa.Table) -> None: ...
    def close(self) -> None: ...


class CsvFocusWriter:
    def __init__(self, path: Path, *, gzip: bool = False) -> None:
        self._sink = pa.CompressedOutputStream(str(path), "gzip") if gzip else pa.OSFile(str(path), "wb")
        self._writer = pa_csv.CSVWriter(self._sink, TEXT_SCHEMA)

    def write(self, text: pa.Table) -> None:
        self._writer.write_table(text)

    def close(self) -> None:
        self._writer.close()
        self._sink.close()


class ParquetFocusWriter:
    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")

    def write(self, text: pa.Table) -> None:
        self._writer.write_table(focus_typed_table(text))

    def close(self) -> None:
        self._writer.close()


def focus_writer(path: Path, format: str) -> FocusWriter:
    """A writer of one FOCUS file at `path` in `format` (csv, csv.gz or parquet); close it to complete the file."""
    if format == "parquet":
        return ParquetFocusWriter(path)
    return CsvFocusWriter(path, gzip=format == "csv.gz")
