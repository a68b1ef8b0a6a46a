"""`make bench ONLY=ingest`: ingestion throughput, its raw-COPY floor, peak memory, and bulk_create.

Figures, all measured in this run on the same generated CUR 2.0 Parquet and the same table:
- ingest: rows/s end to end (read -> map -> COPY -> period swap -> rollups), baseline = plain
  COPY of the same rows already mapped to CSV (the floor an ingest cannot beat);
- ingest_peak_rss_1m / _4m: ru_maxrss of a child process ingesting 1M / 4M rows (memory must
  stay flat as files grow). Linux carries the parent's size at fork into a child's ru_maxrss,
  so this process keeps small until then (generation and slicing run in children too);
  `vm_hwm_mb` is the child's own peak from /proc (VmHWM) as a cross-check;
- ingest_bulk_create: a naive Django bulk_create path on a sample, for comparison.
Progress goes to stderr; nothing is printed to stdout.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context

MAIN_ROWS = int(os.environ.get("BENCH_INGEST_ROWS", "2000000"))
BULK_SAMPLE_ROWS = 50_000
SLUG = "bench-ingest"
RSS_SLUG = "bench-ingest-rss"  # the children load elsewhere, so the main run starts from an empty table
START = datetime.date(2025, 1, 1)


def _log(message: str) -> None:
    print(f"[bench ingest] {message}", file=sys.stderr, flush=True)


def _parquet_slice(source: Path, target: Path, *, rows: int, repeat: int = 1) -> Path:
    """Write the first `rows` rows of `source`, `repeat` times over (a bigger file of the same shape)."""
    reader = pq.ParquetFile(source)
    with pq.ParquetWriter(target, reader.schema_arrow, compression="snappy") as writer:
        for _ in range(repeat):
            left = rows
            for batch in reader.iter_batches(batch_size=131_072):
                if left <= 0:
                    break
                batch = batch.slice(0, min(left, batch.num_rows))
                writer.write_batch(batch)
                left -= batch.num_rows
    return target


def _slice_in_child(source: Path, target: Path, *, rows: int, repeat: int = 1) -> Path:
    """_parquet_slice in a child process: Arrow keeps freed memory, and this process must stay small."""
    code = (
        "import sys, django; django.setup(); from pathlib import Path; from costs.bench import _parquet_slice;"
        "_parquet_slice(Path(sys.argv[1]), Path(sys.argv[2]), rows=int(sys.argv[3]), repeat=int(sys.argv[4]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "finops.settings"}
    args = [sys.executable, "-c", code, str(source), str(target), str(rows), str(repeat)]
    done = subprocess.run(args, env=env, cwd=settings.BASE_DIR, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"slicing failed: {done.stderr.decode()[-3000:]}")
    return target


def _child_ingest(path: Path, slug: str) -> dict[str, Any]:
    """Ingest `path` in a fresh process; returns its rows, seconds and peak RSS (MB)."""
    code = (
        "import json, resource, sys, time, django; django.setup();"
        "from django_tenants.utils import tenant_context;"
        "from tenants.models import Organization;"
        "from costs.ingest.delivery import delivery_ingest;"
        "from costs.ingest.files import local_file;"
        "from costs.models import CostSource;"
        f"org = Organization.objects.get(slug={slug!r});"
        "ctx = tenant_context(org); ctx.__enter__();"
        "source = CostSource.objects.uploads();"
        "t = time.perf_counter(); s = delivery_ingest(source=source, files=[local_file(sys.argv[1])]);"
        "seconds = time.perf_counter() - t;"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024;"
        "hwm = [int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')];"
        "print(json.dumps({'rows': s.rows, 'seconds': seconds, 'rss_mb': rss, 'hwm_mb': hwm[0] if hwm else rss}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "finops.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, cwd=settings.BASE_DIR, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child ingest failed: {done.stderr.decode()[-3000:]}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def _raw_copy_rate(path: Path, source_id: int) -> float:
    """Plain COPY of the same rows, mapped beforehand (mapping time not counted), rolled back."""
    from costs.ingest.convert import BatchContext
    from costs.ingest.detect import mapper_for
    from costs.ingest.files import local_file
    from costs.ingest.loader import billing_period_of, copy_sql, to_csv, with_load_columns
    from costs.ingest.partitions import partition_attach_empty
    from costs.ingest.readers import file_open

    delivery_file = local_file(path)
    reader = file_open(delivery_file.name, delivery_file.open)
    mapper = mapper_for(reader, format="auto", provider_default="AWS")
    rows = 0
    periods: set[datetime.date] = set()
    with tempfile.TemporaryFile() as spool:
        for batch in reader.batches:
            table = mapper.map(batch, BatchContext(delivery_file.name, rows + 1))
            periods.update(billing_period_of(table).unique().to_pylist())
            spool.write(to_csv(with_load_columns(table, source_id=source_id, load_id=1, job_id=None)))
            rows += batch.num_rows
        spool.seek(0)
        with transaction.atomic(), connection.cursor() as wrapper:
            for period in periods:  # indexed partitions, as the line items were before they were partitioned
                partition_attach_empty(wrapper.cursor, source_id=source_id, period=period, load_id=1)
            start = time.perf_counter()
            with wrapper.cursor.copy(copy_sql()) as copy:
                while chunk := spool.read(1 << 20):
                    copy.write(chunk)
            seconds = time.perf_counter() - start
            transaction.set_rollback(True)
    return rows / seconds


def _bulk_create_rate(path: Path, source_id: int) -> float:
    """The naive path: Python objects per row, Django bulk_create (sample, rolled back)."""
    from costs.ingest.convert import BatchContext
    from costs.ingest.detect import mapper_for
    from costs.ingest.files import local_file
    from costs.ingest.loader import billing_period_of
    from costs.ingest.partitions import partition_attach_empty
    from costs.ingest.readers import file_open
    from costs.models import CostLineItem

    delivery_file = local_file(path)
    reader = file_open(delivery_file.name, delivery_file.open)
    mapper = mapper_for(reader, format="auto", provider_default="AWS")
    done = 0
    attached: set[datetime.date] = set()
    with transaction.atomic():
        start = time.perf_counter()
        for batch in reader.batches:
            batch = batch.slice(0, BULK_SAMPLE_ROWS - done)
            table = mapper.map(batch, BatchContext(delivery_file.name, done + 1))
            periods = billing_period_of(table).to_pylist()
            with connection.cursor() as wrapper:
                for period in set(periods) - attached:
                    partition_attach_empty(wrapper.cursor, source_id=source_id, period=period, load_id=2)
                    attached.add(period)
            objects = []
            for period, row in zip(periods, table.to_pylist(), strict=True):
                for key in ("billing_period_start", "billing_period_end", "charge_period_start", "charge_period_end"):
                    if row[key] is not None:
                        row[key] = row[key].replace(tzinfo=datetime.UTC)
                tags = row.pop("tags")
                objects.append(
                    CostLineItem(
                        source_id=source_id,
                        billing_period=period,
                        load_id=2,
                        tags=json.loads(tags) if tags else None,
                        **row,
                    )
                )
            CostLineItem.objects.bulk_create(objects, batch_size=5000)
            done += len(objects)
            if done >= BULK_SAMPLE_ROWS:
                break
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return done / seconds


def _generate(out: Path) -> Path:
    """The main file, generated by `generate_cur` in a child so this process stays small."""
    command = [sys.executable, "manage.py", "generate_cur", "--out", str(out), "--rows", str(MAIN_ROWS)]
    command += ["--start", f"{START:%Y-%m}", "--seed", "7"]
    done = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"generate_cur failed: {done.stderr.decode()[-3000:]}")
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return Path(result["periods"][0]["files"][0])


def _organization(slug: str) -> Any:
    from django.contrib.auth import get_user_model

    from tenants.models import Organization
    from tenants.services.provisioning import organization_create, organization_delete

    for old in Organization.objects.filter(slug=slug):
        organization_delete(organization=old)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-ingest@example.com", email="bench-ingest@example.com"
    )
    return organization_create(name=f"Bench {slug}", slug=slug, owner=user)


def run() -> list[dict[str, Any]]:
    from costs.ingest.delivery import delivery_ingest
    from costs.ingest.files import local_file
    from costs.models import CostSource
    from tenants.services.provisioning import organization_delete

    organization = _organization(SLUG)
    rss_organization = _organization(RSS_SLUG)
    figures: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            folder = Path(tmp)
            _log(f"generating {MAIN_ROWS:,} rows of CUR 2.0 (child process)")
            main = _generate(folder / "main")
            # Memory first, while this process is still small: a child's ru_maxrss starts from
            # its parent's size at fork, so a big parent would mask the child's own peak.
            one = _slice_in_child(main, folder / "1m.parquet", rows=1_000_000)
            four = _slice_in_child(main, folder / "4m.parquet", rows=2_000_000, repeat=2)
            _log("peak RSS, 1M rows (child process)")
            small = _child_ingest(one, RSS_SLUG)
            _log("peak RSS, 4M rows (child process)")
            large = _child_ingest(four, RSS_SLUG)
            with tenant_context(organization):
                source = CostSource.objects.uploads()
                _log("end-to-end ingest")
                start = time.perf_counter()
                summary = delivery_ingest(source=source, files=[local_file(main)])
                seconds = time.perf_counter() - start
                rate = summary.rows / seconds
                _log(f"{summary.rows:,} rows in {seconds:.1f}s; raw COPY floor")
                floor = _raw_copy_rate(main, source.pk)
                _log("bulk_create sample")
                bulk = _bulk_create_rate(main, source.pk)
            figures.append(
                {
                    "bench": "ingest",
                    "value": round(rate),
                    "unit": "rows/s",
                    "baseline": round(floor),
                    "ratio": round(rate / floor, 3),
                }
            )
            figures.append(
                {
                    "bench": "ingest_bulk_create",
                    "value": round(bulk),
                    "unit": "rows/s",
                    "baseline": round(floor),
                    "ratio": round(bulk / floor, 3),
                }
            )
            figures.append(
                {
                    "bench": "ingest_peak_rss_1m",
                    "value": round(small["rss_mb"], 1),
                    "unit": "MB",
                    "baseline": 500,
                    "ratio": round(small["rss_mb"] / 500, 3),
                    "rows": small["rows"],
                    "vm_hwm_mb": round(small["hwm_mb"], 1),
                }
            )
            figures.append(
                {
                    "bench": "ingest_peak_rss_4m",
                    "value": round(large["rss_mb"], 1),
                    "unit": "MB",
                    "baseline": round(small["rss_mb"], 1),
                    "ratio": round(large["rss_mb"] / small["rss_mb"], 3),
                    "rows": large["rows"],
                    "rows_per_s": round(large["rows"] / large["seconds"]),
                    "vm_hwm_mb": round(large["hwm_mb"], 1),
                }
            )
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        organization_delete(organization=organization)
        organization_delete(organization=rss_organization)
    return figures
