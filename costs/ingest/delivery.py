"""One delivery in, its billing periods replaced atomically.

The design that makes a delivery all-or-nothing: every batch is mapped, checked and COPYed
into the real table inside ONE transaction, tagged with a fresh load id; at the end the
period's rows of earlier loads are deleted and the rollups rebuilt, then it commits. Readers
see the old period until the commit and the new one after; an error or a SIGKILL at any
point leaves the old one. A transaction-scoped advisory lock per (schema, source, period)
makes a second ingest of the same period wait for the first.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa
from django.db import connection, transaction

from costs.ingest.accounts import AccountTracker, CurrencyGuard
from costs.ingest.convert import BatchContext
from costs.ingest.detect import format_normalize, mapper_for
from costs.ingest.errors import IngestError
from costs.ingest.loader import billing_period_of, copy_table, with_load_columns
from costs.ingest.progress import ProgressReporter
from costs.ingest.readers import file_open
from costs.ingest.rollups import rollups_rebuild
from costs.ingest.summary import IngestSummary, period_totals
from costs.models import CostSource, Delivery, IngestionJob


@dataclass(frozen=True)
class DeliveryFile:
    name: str
    open: Callable[[], BinaryIO]  # a fresh binary stream on every call
    size: int | None = None


def delivery_key_for(files: Sequence[DeliveryFile]) -> str:
    """A stable key for a delivery without an assemblyId: its file names and sizes."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        digest.update(f"{f.name}\0{f.size}\n".encode())
    return "sha256:" + digest.hexdigest()[:32]


def _lock_key(schema: str, source_id: int, period: datetime.date) -> int:
    raw = hashlib.blake2b(f"ingest:{schema}:{source_id}:{period:%Y-%m}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def delivery_ingest(
    *,
    source: CostSource,
    files: Sequence[DeliveryFile],
    format: str = "auto",
    delivery_key: str = "",
    job: IngestionJob | None = None,
) -> IngestSummary:
    """Ingest the files of one delivery; each billing period they cover is replaced as a whole.

    Raises IngestError (naming file, row, column) on bad input; nothing is changed then.
    """
    if not files:
        raise IngestError("the delivery has no files")
    fmt = format_normalize(format)
    if fmt == "auto" and source.format != "auto":
        fmt = source.format
    delivery_key = delivery_key or delivery_key_for(files)
    # Inside a caller's transaction nobody else could see progress anyway (and the job row
    # may be locked by it), so only report when we own the transaction.
    progress = ProgressReporter(None if job is None or connection.in_atomic_block else job.pk)
    try:
        with transaction.atomic():
            return _ingest(source=source, files=files, fmt=fmt, delivery_key=delivery_key, job=job, progress=progress)
    finally:
        progress.close()


def _ingest(
    *,
    source: CostSource,
    files: Sequence[DeliveryFile],
    fmt: str,
    delivery_key: str,
    job: IngestionJob | None,
    progress: ProgressReporter,
) -> IngestSummary:
    schema = connection.schema_name  # type: ignore[attr-defined]
    load_id = secrets.randbits(62)
    job_id = job.pk if job is not None else None
    rows = 0
    bytes_before = 0
    rows_per_period: dict[datetime.date, int] = {}
    formats: dict[str, str] = {}
    accounts = AccountTracker(source_id=source.pk)
    currencies = CurrencyGuard()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute("SET LOCAL timezone = 'UTC'")
        for delivery_file in files:
            reader = file_open(delivery_file.name, delivery_file.open)
            mapper = mapper_for(reader, format=fmt, provider_default=source.provider)
            formats[delivery_file.name] = mapper.label
            file_rows = 0
            for batch in reader.batches:
                if batch.num_rows == 0:
                    continue
                ctx = BatchContext(delivery_file.name, file_rows + 1)
                table = mapper.map(batch, ctx)
                periods = billing_period_of(table)
                for period in _new_periods(periods, rows_per_period):
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(schema, source.pk, period)])
                    rows_per_period[period] = 0
                _count_periods(periods, rows_per_period)
                currencies.check(table, periods, ctx)
                accounts.observe(table)
                copy_table(cursor, with_load_columns(table, source_id=source.pk, load_id=load_id, job_id=job_id), ctx)
                file_rows += batch.num_rows
                rows += batch.num_rows
                progress.report(rows=rows, bytes_done=bytes_before + reader.bytes_read)
                del table, batch
                # Arrow's allocator keeps freed batches around; hand them back so peak memory
                # stays at about one batch whatever the file size.
                pa.default_memory_pool().release_unused()
            if file_rows == 0:
                raise IngestError("has a header but no data rows", file=delivery_file.name)
            bytes_before += reader.bytes_read
            progress.report(rows=rows, bytes_done=bytes_before, force=True)
        periods_sorted = sorted(rows_per_period)
        cursor.execute(
            "DELETE FROM costs_costlineitem WHERE source_id = %s AND billing_period = ANY(%s) AND load_id <> %s",
            [source.pk, periods_sorted, load_id],
        )
        rollups_rebuild(cursor, source_id=source.pk, periods=periods_sorted)
        totals = period_totals(cursor, source_id=source.pk, periods=periods_sorted)
    new_accounts = accounts.save(source=source)
    for period in periods_sorted:
        Delivery.objects.create(
            source=source, billing_period=period, delivery_key=delivery_key, job=job, rows=rows_per_period[period]
        )
    return IngestSummary(
        rows=rows,
        bytes=bytes_before,
        billing_periods=[f"{p:%Y-%m}" for p in periods_sorted],
        totals=totals,
        new_accounts=new_accounts,
        notes=[f"{name}: read as {label}" for name, label in formats.items()],
        delivery_key=delivery_key,
        files=[f.name for f in files],
    )


def _new_periods(periods: pa.Array, seen: dict[datetime.date, int]) -> list[datetime.date]:
    # Sorted, so two deliveries spanning the same periods take their locks in the same order.
    return sorted(p for p in pa.compute.unique(periods).to_pylist() if p not in seen)


def _count_periods(periods: pa.Array, counts: dict[datetime.date, int]) -> None:
    for item in pa.compute.value_counts(periods).to_pylist():
        counts[item["values"]] += item["counts"]
