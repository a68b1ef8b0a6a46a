"""COPY canonical Arrow tables into line-item tables (psycopg 3 COPY, CSV text).

Rows are written inside the caller's replacement transaction, tagged with a load id, into the
load's own tables (costs.ingest.partitions), so until it commits nobody sees them, and if the
worker dies the rows vanish with it.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CopyPart:
    """A batch's rows of one billing period as COPY input."""

    period: datetime.date
    csv: memoryview
    rows: pa.Array | None = None  # where each line's row is in the batch, when it is a part of it


def copy_parts(table: pa.Table) -> list[CopyPart]:
    """A batch (with its load columns) as CSV per billing period, almost always one.

    Made in the ingest's mapping thread, so the thread holding the transaction only hands bytes to
    COPY and the database never waits for the next chunk to be formatted.
    """
    period_of_row = table.column("billing_period")
    periods = pc.unique(period_of_row).to_pylist()
    if len(periods) == 1:
        return [CopyPart(periods[0], to_csv(table))]
    parts = []
    for period in sorted(periods):
        rows = pc.indices_nonzero(pc.equal(period_of_row, pa.scalar(period, pa.date32())))
        parts.append(CopyPart(period, to_csv(table.take(rows)), rows))
    return parts


def copy_part(cursor: Any, part: CopyPart, ctx: BatchContext, *, into: str) -> None:
    """COPY one part into table `into`; a row the database rejects becomes an IngestError naming its file row."""
    try:
        with cursor.copy(copy_sql(into)) as copy:
            copy.write(part.csv)
    except psycopg.errors.DataError as exc:
        raise _copy_error(exc, ctx, part.rows) from exc


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
