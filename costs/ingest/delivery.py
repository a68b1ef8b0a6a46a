"""One delivery in, its billing periods replaced atomically.

The design that makes a delivery all-or-nothing: every batch is mapped, checked and COPYed
inside ONE transaction, tagged with a fresh load id, into a new bare table per billing period;
at the end its indexes are built, the rollups and summaries rebuilt from it, and it replaces
the period's partition of the line items (costs.ingest.partitions), then it commits. Readers
see the old period until the commit and the new one after; an error or a SIGKILL at any
point leaves the old one. A transaction-scoped advisory lock per (schema, source, period)
makes a second ingest of the same period wait for the first; before the replacement,
`claims.claims_settle` makes sure no other source holds the same billing account's period
(a bill counted twice), under a lock per (billing account, period).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction

from costs.ingest.accounts import AccountTracker, CurrencyGuard
from costs.ingest.claims import claims_settle
from costs.ingest.detect import format_normalize
from costs.ingest.errors import IngestError
from costs.ingest.loader import copy_by_period, with_load_columns
from costs.ingest.partitions import staging_create, staging_index, staging_swap_in
from costs.ingest.pipeline import Checks, mapped_batches, prefetched
from costs.ingest.progress import ProgressReporter
from costs.ingest.rollups import rollups_rebuild
from costs.ingest.summaries import PartialSums, SummaryBuilder, with_partials
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
    rows_per_period: dict[datetime.date, int] = {}
    staging: dict[datetime.date, str] = {}  # the load's own table per billing period
    checks = Checks(accounts=AccountTracker(source_id=source.pk), currencies=CurrencyGuard(), formats={})
    batches = mapped_batches(files, fmt=fmt, provider_default=source.provider, checks=checks)
    sums = PartialSums()  # the mapping thread's until it ends
    summaries = SummaryBuilder()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute("SET LOCAL timezone = 'UTC'")
        # The explorer's summaries are added up in the mapping thread, beside COPY.
        for mapped in prefetched(with_partials(batches, sums)):
            # Sorted, so two deliveries spanning the same periods take their locks in the same order.
            for period in mapped.periods:
                if period not in rows_per_period:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(schema, source.pk, period)])
                    staging[period] = staging_create(cursor, source_id=source.pk, period=period, load_id=load_id)
                    rows_per_period[period] = 0
                rows_per_period[period] += mapped.period_counts[period]
            table = with_load_columns(mapped.table, source_id=source.pk, load_id=load_id, job_id=job_id)
            copy_by_period(cursor, table, mapped.ctx, {period: staging[period] for period in mapped.periods})
            summaries.add(cursor, mapped.partials)
            rows += mapped.table.num_rows
            progress.report(rows=rows, bytes_done=mapped.bytes_done)
            del table, mapped
        summaries.add(cursor, sums.rest())  # the mapping thread has ended: its sums are ours now
        progress.report(rows=rows, bytes_done=checks.bytes_total, force=True)
        periods_sorted = sorted(rows_per_period)
        claims = {(account, period) for _, account, period in checks.currencies.seen}
        claim_notes = claims_settle(cursor, schema=schema, source=source, claims=claims)
        # The period's GROUP BYs (rollups, summaries) sort and hash a month of rows: with the default
        # 4 MB they spill to disk (the monthly resources' took 12.4 s of a 930k-line month; 1.9 s with
        # 128 MB, INGEST_WORK_MEM). For this transaction only.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.INGEST_WORK_MEM])
        for period in periods_sorted:
            staging_index(cursor, staging[period])
        if usage_partials := summaries.usage_partials(cursor):
            rollups_rebuild(cursor, source_id=source.pk, periods=periods_sorted, usage_partials=usage_partials)
        else:
            for period in periods_sorted:
                rollups_rebuild(cursor, source_id=source.pk, periods=[period], lines=staging[period])
        summaries.write(cursor, source_id=source.pk, periods=periods_sorted)
        totals = period_totals(cursor, source_id=source.pk, periods=periods_sorted)
        # Last, so the period's old partition is locked (emptied) only for the moment before the commit.
        for period in periods_sorted:
            staging_swap_in(cursor, source_id=source.pk, period=period, load_id=load_id)
    new_accounts = checks.accounts.save(source=source)
    for period in periods_sorted:
        Delivery.objects.create(
            source=source, billing_period=period, delivery_key=delivery_key, job=job, rows=rows_per_period[period]
        )
    return IngestSummary(
        rows=rows,
        bytes=checks.bytes_total,
        billing_periods=[f"{p:%Y-%m}" for p in periods_sorted],
        totals=totals,
        new_accounts=new_accounts,
        notes=[f"{name}: read as {label}" for name, label in checks.formats.items()]
        + checks.observations.notes()
        + checks.observations.warnings_note(),
        warnings=checks.observations.warnings,
        replaced=claim_notes,
        delivery_key=delivery_key,
        files=[f.name for f in files],
    )
