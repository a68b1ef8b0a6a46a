"""Shared by the FOCUS export tests: bills to ingest, the export run eagerly, sums read back from the file."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from costs.demo.generator import cur_generate
from costs.explorer.exports.services import focus_export_create, focus_export_run
from costs.explorer.models import FocusExport

FOCUS_SAMPLE = Path(settings.BASE_DIR).parent / "shared" / "data" / "focus" / "sample_1.0" / "focus_sample.csv"
SAMPLE_PERIOD = datetime.date(2024, 9, 1)
CUR2_START = datetime.date(2025, 1, 1)
# Our bases and the export's columns for them (FOCUS names; CUR's unblended figures as x_ extensions).
BASES = {
    "billed_cost": "BilledCost",
    "effective_cost": "EffectiveCost",
    "list_cost": "ListCost",
    "contracted_cost": "ContractedCost",
    "unblended_cost": "x_UnblendedCost",
    "net_unblended_cost": "x_NetUnblendedCost",
}


def ingest(world: Any, *paths: Path) -> None:
    # Through the operators' command: this app never touches costs.models (an import contract).
    for path in paths:
        call_command("ingest_file", "--org", world.organization.slug, str(path), stdout=io.StringIO())


def cur2_period(out: Path) -> Path:
    """One generated CUR 2.0 month (January 2025): the file to ingest."""
    result = cur_generate(out=out, format="cur2", months=1, seed=23, start=CUR2_START)
    (period,) = result.periods
    (path,) = period.files
    return Path(path)


def export_eagerly(world: Any, *, period: datetime.date, format: str) -> FocusExport:
    """Request an export and run it here (what the worker does), with small batches so several are written."""
    with tenant_context(world.organization):
        export = focus_export_create(billing_period=period, format=format, requested_by_id=world.owner.pk)
        done = focus_export_run(export_id=export.pk, batch_rows=300)
        assert done is not None
        return done


def exported_copy(world: Any, export: FocusExport, folder: Path) -> Path:
    """The stored file, copied out of the organization's storage under its own name."""
    with tenant_context(world.organization), default_storage.open(export.file_key, "rb") as stored:
        path = folder / export.file_name
        path.write_bytes(stored.read())
    return path


def db_sums(world: Any, period: datetime.date) -> dict[str, Any]:
    """Line count and the sum of each basis over the period's line items, straight from the table."""
    sums = ", ".join(f"SUM({basis})" for basis in BASES)
    with tenant_context(world.organization), connection.cursor() as db:
        db.execute(f"SELECT COUNT(*), {sums} FROM costs_costlineitem WHERE billing_period = %s", [period])
        row = db.fetchone()
    return {"rows": row[0], **dict(zip(BASES, row[1:], strict=True))}


def file_relation(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', all_varchar = true, header = true)"


def file_sums(path: Path) -> dict[str, Any]:
    """The same figures read back from the written file with DuckDB (not the app's code)."""
    sums = ", ".join(f"SUM(CAST({column} AS DECIMAL(38,12)))" for column in BASES.values())
    row = duckdb.connect().execute(f"SELECT COUNT(*), {sums} FROM {file_relation(path)}").fetchone()
    assert row is not None
    return {
        "rows": row[0],
        **{basis: (None if v is None else Decimal(v)) for basis, v in zip(BASES, row[1:], strict=True)},
    }
