"""A benchmark organization holding a big generated bill, built through the real ingestion path.

Shared by benchmarks that need "an organization with N line items" (monitoring's run time,
the explorer's pages): `generate_cur` writes CUR 2.0 Parquet in a child process, then each
billing period is ingested with `delivery_ingest` (read, map, COPY, rollups, summaries).
Also the ingest figures those benchmarks print beside their own: the same period ingested
without the explorer's summaries, and a raw COPY of its rows into an unindexed table.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context


@dataclass(frozen=True)
class BenchBill:
    organization: Any
    rows: int
    generate_seconds: float
    ingest_seconds: float


@dataclass(frozen=True)
class GeneratedBill:
    periods: list[dict[str, Any]]  # generate_cur's JSON: period, rows, files, expected_billed…
    seconds: float


def _log(message: str) -> None:
    print(f"[bench tenant] {message}", file=sys.stderr, flush=True)


def bench_bill_generate(
    *,
    folder: Path,
    rows: int,
    months: int,
    start: str,
    until: str | None = None,
    seed: int = 7,
    workloads: int = 0,
) -> GeneratedBill:
    """CUR 2.0 Parquet files of about `rows` lines over `months`, written by a child process (bounded memory)."""
    command = [sys.executable, "manage.py", "generate_cur", "--out", str(folder), "--rows", str(rows)]
    command += ["--months", str(months), "--start", start, "--seed", str(seed)]
    if until:
        command += ["--until", until]
    if workloads:
        command += ["--workloads", str(workloads)]
    _log(f"generating ~{rows:,} CUR 2.0 rows over {months} months (child process)")
    began = time.perf_counter()
    done = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"generate_cur failed: {done.stderr.decode()[-3000:]}")
    periods: list[dict[str, Any]] = json.loads(done.stdout.decode().strip().splitlines()[-1])["periods"]
    return GeneratedBill(periods=periods, seconds=time.perf_counter() - began)


def bench_bill_ingest(*, organization: Any, periods: list[dict[str, Any]]) -> tuple[int, float]:
    """Ingest each generated period as one delivery of the uploads source; (rows, seconds)."""
    from costs.ingest.delivery import delivery_ingest
    from costs.ingest.files import local_file
    from costs.models import CostSource

    total = 0
    began = time.perf_counter()
    with tenant_context(organization):
        source = CostSource.objects.uploads()
        for period in periods:
            summary = delivery_ingest(source=source, files=[local_file(Path(f)) for f in period["files"]])
            total += summary.rows
            _log(f"ingested {period['period']}: {summary.rows:,} rows")
    return total, time.perf_counter() - began


def bench_bill_organization(
    *, slug: str, rows: int, months: int, start: str, seed: int = 7, workloads: int = 0
) -> BenchBill:
    """A fresh organization `slug` (an older one is dropped) with about `rows` line items over `months`."""
    from costs.bench import _organization

    organization = _organization(slug)
    with tempfile.TemporaryDirectory(prefix="bench-bill-") as tmp:
        bill = bench_bill_generate(
            folder=Path(tmp), rows=rows, months=months, start=start, seed=seed, workloads=workloads
        )
        total, ingested = bench_bill_ingest(organization=organization, periods=bill.periods)
    _log(f"{total:,} rows: generated in {bill.seconds:.0f} s, ingested in {ingested:.0f} s")
    return BenchBill(organization=organization, rows=total, generate_seconds=bill.seconds, ingest_seconds=ingested)


class _NoSummaries:
    """Stands in for `SummaryBuilder`: the delivery writes line items and rollups only."""

    def add(self, cursor: Any, partials: Any) -> None:
        pass

    def write(self, cursor: Any, *, source_id: int, periods: Any) -> None:
        pass

    def usage_partials(self, cursor: Any) -> None:
        return None  # the rollups come from the line items, as before the summaries


@contextlib.contextmanager
def summaries_disabled() -> Iterator[None]:
    """Ingest as before the explorer's summaries existed (for measuring what they cost; never in the product)."""

    def passthrough(batches: Iterator[Any], sums: Any) -> Iterator[Any]:
        yield from batches

    with (
        mock.patch("costs.ingest.delivery.with_partials", passthrough),
        mock.patch("costs.ingest.delivery.SummaryBuilder", _NoSummaries),
    ):
        yield


def raw_copy_rate(*, organization: Any, files: list[str]) -> tuple[int, float]:
    """(rows, rows/s) of a plain COPY of the files' rows, mapped to CSV beforehand (not timed),
    into a fresh table in `organization` shaped like the line items but without any index
    (rolled back afterwards)."""
    from costs.ingest.columns import COPY_COLUMNS
    from costs.ingest.convert import BatchContext
    from costs.ingest.detect import mapper_for
    from costs.ingest.files import local_file
    from costs.ingest.loader import to_csv, with_load_columns
    from costs.ingest.readers import file_open
    from costs.models import CostSource

    rows = 0
    with tenant_context(organization), tempfile.TemporaryFile() as spool:
        source_id = CostSource.objects.uploads().pk
        for name in files:
            delivery_file = local_file(name)
            reader = file_open(delivery_file.name, delivery_file.open)
            mapper = mapper_for(reader, format="auto", provider_default="AWS")
            for batch in reader.batches:
                table = mapper.map(batch, BatchContext(delivery_file.name, rows + 1))
                spool.write(to_csv(with_load_columns(table, source_id=source_id, load_id=1, job_id=None)))
                rows += batch.num_rows
        spool.seek(0)
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(
                "CREATE TABLE bench_raw_copy (LIKE costs_costlineitem INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
            start = time.perf_counter()
            with cursor.copy(f"COPY bench_raw_copy ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
                while chunk := spool.read(1 << 20):
                    copy.write(chunk)
            seconds = time.perf_counter() - start
            transaction.set_rollback(True)  # the table goes with the rollback
    return rows, rows / seconds
