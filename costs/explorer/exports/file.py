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
import pyarrow.compute as pc
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


# Text a spreadsheet would run as a formula (costs/explorer/spreadsheet.py, issue 14 item 4).
FORMULA_START = r"^[=+\-@\t\r]"
# Columns that hold numbers or dates in FOCUS's text form: a leading '-' there is a sign, not a formula.
NOT_FREE_TEXT = frozenset(FOCUS_MONEY) | frozenset(FOCUS_QUANTITIES) | frozenset(FOCUS_DATETIMES)


def spreadsheet_safe_text_table(text: pa.Table) -> pa.Table:
    """The batch with free-text cells that start like a formula prefixed by an apostrophe (CSV only).

    Names, tags and other values come from the customer's bill, where anyone with tagging rights
    can write `=HYPERLINK(…)`; a spreadsheet opening the CSV would run it. Parquet keeps them as
    they are (it is typed data, never evaluated).
    """
    columns = []
    for field in text.schema:
        column = text.column(field.name)
        if field.name not in NOT_FREE_TEXT:
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=text.schema)


class CsvFocusWriter:
    def __init__(self, path: Path, *, gzip: bool = False) -> None:
        self._sink = pa.CompressedOutputStream(str(path), "gzip") if gzip else pa.OSFile(str(path), "wb")
        self._writer = pa_csv.CSVWriter(self._sink, TEXT_SCHEMA)

    def write(self, text: pa.Table) -> None:
        self._writer.write_table(spreadsheet_safe_text_table(text))

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
