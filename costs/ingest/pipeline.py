"""Read -> map -> check runs in a helper thread, one or two batches ahead of COPY.

Arrow compute and libpq both release the GIL, so mapping the next batch overlaps with the
database taking the current one. The queue is bounded: memory stays at a few batches.
"""

from __future__ import annotations

import datetime
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from django.db import connection

from costs.ingest.accounts import AccountTracker, CurrencyGuard
from costs.ingest.convert import BatchContext
from costs.ingest.detect import mapper_for
from costs.ingest.errors import IngestError
from costs.ingest.loader import billing_period_of
from costs.ingest.observations import Observations
from costs.ingest.readers import file_open

AHEAD = 1


@dataclass
class MappedBatch:
    table: pa.Table
    ctx: BatchContext
    periods: list[datetime.date]  # distinct billing periods in this batch
    period_counts: dict[datetime.date, int]
    bytes_done: int  # input bytes read so far, all files
    partials: dict[str, pa.Table] = field(default_factory=dict)  # costs.ingest.summaries, per summary table


@dataclass
class Checks:
    accounts: AccountTracker
    currencies: CurrencyGuard
    formats: dict[str, str]
    bytes_total: int = 0
    observations: Observations = field(default_factory=Observations)


def mapped_batches(files: Sequence[Any], *, fmt: str, provider_default: str, checks: Checks) -> Iterator[MappedBatch]:
    """Every batch of every file, mapped to canonical columns and checked."""
    bytes_before = 0
    for delivery_file in files:
        reader = file_open(delivery_file.name, delivery_file.open)
        mapper = mapper_for(reader, format=fmt, provider_default=provider_default)
        checks.formats[delivery_file.name] = mapper.label
        file_rows = 0
        for batch in reader.batches:
            if batch.num_rows == 0:
                continue
            ctx = BatchContext(delivery_file.name, file_rows + 1, checks.observations, mapper.source_columns)
            table = mapper.map(batch, ctx)
            periods = billing_period_of(table)
            checks.currencies.check(table, periods, ctx)
            checks.accounts.observe(table)
            counts = {item["values"]: item["counts"] for item in pa.compute.value_counts(periods).to_pylist()}
            file_rows += batch.num_rows
            yield MappedBatch(table, ctx, sorted(counts), counts, bytes_before + reader.bytes_read)
            del table, batch
            # Arrow's allocator keeps freed batches around; hand them back so peak memory
            # stays at a few batches whatever the file size.
            pa.default_memory_pool().release_unused()
        if file_rows == 0:
            raise IngestError("has a header but no data rows", file=delivery_file.name)
        bytes_before += reader.bytes_read
    checks.bytes_total = bytes_before


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def prefetched(items: Iterator[Any], *, ahead: int = AHEAD) -> Iterator[Any]:
    """Iterate `items` in a helper thread; its exceptions are raised here, in order.

    The helper runs in the caller's organization: openers may read tenant storage, which
    takes the schema from the (per-thread) database connection.
    """
    tenant = getattr(connection, "tenant", None)
    slots: queue.Queue[Any] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            if tenant is not None:
                connection.set_tenant(tenant)  # type: ignore[attr-defined]
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_Failure(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
            connection.close()  # this thread's own connection, if an opener used one

    worker = threading.Thread(target=produce, name="ingest-map", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
