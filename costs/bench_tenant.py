"""A benchmark organization holding a big generated bill, built through the real ingestion path.

Shared by benchmarks that need "an organization with N line items" (monitoring's run time;
the explorer's pages may reuse it): `generate_cur` writes CUR 2.0 Parquet in a child process,
then each billing period is ingested with `delivery_ingest` (read, map, COPY, rollups).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django_tenants.utils import tenant_context


@dataclass(frozen=True)
class BenchBill:
    organization: Any
    rows: int
    generate_seconds: float
    ingest_seconds: float


def _log(message: str) -> None:
    print(f"[bench tenant] {message}", file=sys.stderr, flush=True)


def bench_bill_organization(*, slug: str, rows: int, months: int, start: str, seed: int = 7) -> BenchBill:
    """A fresh organization `slug` (an older one is dropped) with about `rows` line items over `months`."""
    from costs.bench import _organization
    from costs.ingest.delivery import delivery_ingest
    from costs.ingest.files import local_file
    from costs.models import CostSource

    organization = _organization(slug)
    with tempfile.TemporaryDirectory(prefix="bench-bill-") as tmp:
        command = [sys.executable, "manage.py", "generate_cur", "--out", tmp, "--rows", str(rows)]
        command += ["--months", str(months), "--start", start, "--seed", str(seed)]
        _log(f"generating ~{rows:,} CUR 2.0 rows over {months} months (child process)")
        began = time.perf_counter()
        done = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"generate_cur failed: {done.stderr.decode()[-3000:]}")
        generated = time.perf_counter() - began
        periods: list[dict[str, Any]] = json.loads(done.stdout.decode().strip().splitlines()[-1])["periods"]
        total = 0
        began = time.perf_counter()
        with tenant_context(organization):
            source = CostSource.objects.uploads()
            for period in periods:
                summary = delivery_ingest(source=source, files=[local_file(Path(f)) for f in period["files"]])
                total += summary.rows
                _log(f"ingested {period['period']}: {summary.rows:,} rows")
        ingested = time.perf_counter() - began
    _log(f"{total:,} rows: generated in {generated:.0f} s, ingested in {ingested:.0f} s")
    return BenchBill(organization=organization, rows=total, generate_seconds=generated, ingest_seconds=ingested)
