"""`make bench ONLY=ingest_peak_rss_mb`: peak memory of one ingest, valid and hostile files (issue 16).

One JSON line per file, each the peak RSS of a fresh child process that ingests only that file:
- valid_csv_gz_1gb: a valid FOCUS CSV.gz of 1 GiB expanded text (`BENCH_VALID_EXPANDED_MB`);
  target: accepted, under 600 MB;
- every hostile file of costs.hostile_files, at the sizes the issue reported: a gzip whose first
  line never ends (3 GiB expanded), one whose second line never ends, a Parquet ResourceId
  dictionary-encoded over 2M rows with a 1 MiB value (2 TB of text), and the same with a 60 KiB
  value (under the field limit, 120 GB); target: rejected in under a minute, under 1 GB.

The value is the child's own VmHWM (/proc; ru_maxrss would carry the parent's size at fork).
A watchdog in this process reads it every 0.1 s and kills a child past 4 GB or 5 minutes (an
hour for the valid file), so
a regression shows as a figure rather than taking the machine down. Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection

from costs.hostile_files import gzip_long_line_bomb, parquet_dictionary_bomb, valid_focus_csv_gz

SLUG = "bench-ingest-memory"
VALID_TARGET_MB = 600
HOSTILE_TARGET_MB = 1024
HOSTILE_TARGET_SECONDS = 60
KILL_MB = 4096
KILL_SECONDS_HOSTILE = 300
KILL_SECONDS_VALID = 3600
VALID_EXPANDED_BYTES = int(os.environ.get("BENCH_VALID_EXPANDED_MB", "1024")) << 20


def _log(message: str) -> None:
    print(f"[bench ingest_peak_rss_mb] {message}", file=sys.stderr, flush=True)


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


CHILD = """
import json, resource, sys, time, django
django.setup()
from django_tenants.utils import tenant_context
from tenants.models import Organization
from costs.ingest.delivery import delivery_ingest
from costs.ingest.errors import IngestError
from costs.ingest.files import local_file
from costs.models import CostSource

organization = Organization.objects.get(slug=sys.argv[2])
started = time.perf_counter()
with tenant_context(organization):
    try:
        summary = delivery_ingest(source=CostSource.objects.uploads(), files=[local_file(sys.argv[1])])
        outcome = {"accepted": True, "rows": summary.rows, "billed_cost": str(sum(
            (c["billed_cost"] or 0) for p in summary.totals.values() for c in p.values()))}
    except IngestError as error:
        outcome = {"accepted": False, "error": str(error)}
outcome["seconds"] = time.perf_counter() - started
hwm = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")]
outcome["vm_hwm_mb"] = hwm[0]
outcome["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(outcome))
"""


def _child_ingest(path: Path, *, kill_seconds: int) -> dict[str, Any]:
    """Ingest `path` in a fresh process under the watchdog; its outcome and peak memory."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "finops.settings"}
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), SLUG], env=env, cwd=settings.BASE_DIR, stdout=out, stderr=err
        )
        peak = 0.0
        killed = ""
        while process.poll() is None:
            peak = max(peak, _vm_hwm_mb(process.pid) or 0.0)
            if peak > KILL_MB or time.monotonic() - started > kill_seconds:
                killed = f"killed by the bench watchdog at {peak:.0f} MB after {time.monotonic() - started:.0f} s"
                process.kill()
                process.wait()
                break
            time.sleep(0.1)
        wall = time.monotonic() - started
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
        if killed or process.returncode != 0 or not lines:
            err.seek(0)
            tail = err.read().decode()[-2000:]
            return {"accepted": False, "error": killed or f"child failed: {tail}", "vm_hwm_mb": peak, "seconds": wall}
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_seconds"] = wall
    return result


def _hostile_files() -> list[tuple[str, str, Callable[[BinaryIO], None]]]:
    focus_header = b"BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost\n"
    return [
        ("gzip_first_line_bomb", "x.csv.gz", lambda out: gzip_long_line_bomb(out, expanded_bytes=3 << 30)),
        (
            "gzip_data_line_bomb",
            "y.csv.gz",
            lambda out: gzip_long_line_bomb(out, expanded_bytes=3 << 30, prefix=focus_header + b"111122223333,"),
        ),
        (
            "parquet_dictionary_bomb",
            "x.parquet",
            lambda out: parquet_dictionary_bomb(out, rows=2_000_000, value_bytes=1 << 20),
        ),
        (
            "parquet_dictionary_bomb_60k",
            "y.parquet",
            lambda out: parquet_dictionary_bomb(out, rows=2_000_000, value_bytes=60 << 10),
        ),
    ]


def _figure(name: str, path: Path, result: dict[str, Any], *, target_mb: int, expect_accepted: bool) -> dict[str, Any]:
    peak = float(result["vm_hwm_mb"])
    seconds = float(result.get("seconds", 0.0))
    figure: dict[str, Any] = {
        "bench": "ingest_peak_rss_mb",
        "file": name,
        "value": round(peak, 1),
        "unit": "MB",
        "baseline": target_mb,
        "ratio": round(peak / target_mb, 3),
        "file_mb": round(path.stat().st_size / (1 << 20), 2),
        "seconds": round(seconds, 1),
        "accepted": bool(result.get("accepted")),
    }
    if result.get("accepted"):
        figure["rows"] = result["rows"]
        figure["billed_cost"] = result["billed_cost"]
    else:
        figure["error"] = str(result.get("error", ""))[:300]
    within = peak < target_mb and figure["accepted"] == expect_accepted
    if not expect_accepted:
        within = within and seconds < HOSTILE_TARGET_SECONDS
    figure["within_target"] = within
    return figure


def run() -> list[dict[str, Any]]:
    from costs.bench import _organization
    from tenants.services.provisioning import organization_delete

    organization = _organization(SLUG)
    figures: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-memory-") as tmp:
            folder = Path(tmp)
            valid = folder / "valid.csv.gz"
            _log(f"writing a valid FOCUS CSV.gz of {VALID_EXPANDED_BYTES >> 20} MiB expanded")
            with valid.open("wb") as out:
                made = valid_focus_csv_gz(out, expanded_bytes=VALID_EXPANDED_BYTES)
            _log(f"ingesting it in a child ({made['rows']:,} rows, {valid.stat().st_size >> 20} MiB on disk)")
            result = _child_ingest(valid, kill_seconds=KILL_SECONDS_VALID)
            if result.get("accepted") and Decimal(result["billed_cost"]) != made["billed_cost"]:
                result = {
                    **result,
                    "accepted": False,
                    "error": f"billed {result['billed_cost']} != {made['billed_cost']}",
                }
            figures.append(_figure("valid_csv_gz_1gb", valid, result, target_mb=VALID_TARGET_MB, expect_accepted=True))
            valid.unlink()
            for name, filename, write in _hostile_files():
                path = folder / filename
                _log(f"writing {name}")
                with path.open("wb") as out:
                    write(out)
                _log(f"ingesting {name} in a child ({path.stat().st_size / (1 << 20):.2f} MiB on disk)")
                result = _child_ingest(path, kill_seconds=KILL_SECONDS_HOSTILE)
                figures.append(_figure(name, path, result, target_mb=HOSTILE_TARGET_MB, expect_accepted=False))
                path.unlink()
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        organization_delete(organization=organization)
    return figures
