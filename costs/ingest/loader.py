"""COPY canonical Arrow tables into line-item tables (psycopg 3 COPY, CSV text).

Rows are written inside the caller's replacement transaction, tagged with a load id, into the
load's own tables (costs.ingest.partitions), so until it commits nobody sees them, and if the
worker dies the rows vanish with it.
"""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from costs.ingest.columns import COPY_COLUMNS
from costs.ingest.convert import BatchContext
from costs.ingest.errors import IngestError

TABLE = "costs_costlineitem"
_WRITE_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="needed", batch_size=16_384)
_LINE = re.compile(r"COPY \w+, line (\d+)(?:, column (\w+))?")


def billing_period_of(table: pa.Table) -> pa.Array:
    """First day of the month of BillingPeriodStart, as date32."""
    start = table.column("billing_period_start")
    month = pc.floor_temporal(start, unit="month")
    return pc.cast(month, pa.date32())


def with_load_columns(table: pa.Table, *, source_id: int, load_id: int, job_id: int | None) -> pa.Table:
    n = table.num_rows
    period = billing_period_of(table)
    front = {
        "source_id": pa.array([source_id] * n, pa.int64()),
        "billing_period": period,
        "load_id": pa.array([load_id] * n, pa.int64()),
        "job_id": pa.array([job_id] * n, pa.int64()),
    }
    arrays = list(front.values()) + [table.column(i) for i in range(table.num_columns)]
    return pa.Table.from_arrays(arrays, names=list(front) + table.column_names)


def copy_sql(table: str = TABLE) -> str:
    return f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT csv)"


def to_csv(table: pa.Table) -> memoryview:
    buffer = io.BytesIO()
    pcsv.write_csv(table, buffer, _WRITE_OPTIONS)
    return buffer.getbuffer()


class _CopySink(io.RawIOBase):
    """A write-only stream that hands each CSV chunk straight to COPY (no whole-batch buffer)."""

    def __init__(self, copy: Any) -> None:
        self.copy = copy

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.copy.write(data)
        return len(data)


def copy_table(
    cursor: Any, table: pa.Table, ctx: BatchContext, *, into: str = TABLE, rows: pa.Array | None = None
) -> None:
    """COPY one batch into table `into`; a row the database rejects becomes an IngestError naming its
    file row. `rows`: where each of `table`'s rows is in the batch, when `table` is a part of it."""
    try:
        with cursor.copy(copy_sql(into)) as copy:
            pcsv.write_csv(table, pa.PythonFile(_CopySink(copy), mode="w"), _WRITE_OPTIONS)
    except psycopg.errors.DataError as exc:
        raise _copy_error(exc, ctx, rows) from exc


def copy_by_period(cursor: Any, table: pa.Table, ctx: BatchContext, into: dict[datetime.date, str]) -> None:
    """COPY a batch (with its load columns) into `into`: the table of each billing period it holds (almost
    always one)."""
    if len(into) == 1:
        (target,) = into.values()
        copy_table(cursor, table, ctx, into=target)
        return
    period_of_row = table.column("billing_period")
    for period, target in sorted(into.items()):
        rows = pc.indices_nonzero(pc.equal(period_of_row, pa.scalar(period, pa.date32())))
        copy_table(cursor, table.take(rows), ctx, into=target, rows=rows)


def _copy_error(exc: psycopg.Error, ctx: BatchContext, rows: pa.Array | None) -> IngestError:
    context = (exc.diag.context or "") if exc.diag else ""
    match = _LINE.search(context)
    message = (exc.diag.message_primary if exc.diag else None) or str(exc)
    if match:
        column = match.group(2) or ""
        index = int(match.group(1)) - 1
        if rows is not None:
            index = rows[index].as_py()
        return ctx.error(f"was rejected by the database: {message}", index=index, column=column)
    return ctx.error(f"was rejected by the database: {message}")
