"""FOCUS 1.2 exports of a billing period: the file holds every line item with totals per basis equal
to the ingested bill to the cent, in FOCUS's types and formats; strangers get 404; failures are kept."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from costs.explorer.exports.services import ExportError, focus_export_create, focus_export_run
from costs.explorer.models import ExportStatus, FocusExport
from costs.explorer.tests.focus_export_support import (
    CUR2_START,
    FOCUS_SAMPLE,
    SAMPLE_PERIOD,
    cur2_period,
    db_sums,
    export_eagerly,
    exported_copy,
    file_relation,
    file_sums,
    ingest,
)
from costs.selectors import FOCUS_COLUMNS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def cur2_file(tmp_path_factory: Any) -> Path:
    return cur2_period(tmp_path_factory.mktemp("cur2"))


@pytest.mark.parametrize("format", ["csv", "csv.gz", "parquet"])
def test_the_focus_sample_exports_every_line_with_totals_per_basis_to_the_cent(
    org_a: Any, tmp_path: Path, format: str
) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    export = export_eagerly(org_a, period=SAMPLE_PERIOD, format=format)
    assert export.status == ExportStatus.SUCCEEDED, export.error
    assert export.progress == 1.0
    path = exported_copy(org_a, export, tmp_path)
    assert path.stat().st_size == export.file_size
    assert path.name.endswith(f".{format}")
    if format == "csv.gz":  # compressed (focus-validator reads no gzip: it checks the plain CSV)
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    expected = db_sums(org_a, SAMPLE_PERIOD)
    # 999 of the sample's 1,000 lines are billed in September 2024 (one belongs to another period).
    assert export.rows == export.rows_total == expected["rows"] == 999
    assert expected["billed_cost"] != 0
    assert file_sums(path) == expected


@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_a_generated_cur2_period_exports_with_totals_per_basis_to_the_cent(
    org_a: Any, tmp_path: Path, cur2_file: Path, format: str
) -> None:
    ingest(org_a, cur2_file)
    export = export_eagerly(org_a, period=CUR2_START, format=format)
    assert export.status == ExportStatus.SUCCEEDED, export.error
    path = exported_copy(org_a, export, tmp_path)
    expected = db_sums(org_a, CUR2_START)
    assert expected["rows"] > 1000 and expected["unblended_cost"] is not None
    assert export.rows == expected["rows"]
    assert file_sums(path) == expected


def test_the_parquet_file_has_focus_types_and_null_where_the_bill_has_no_value(org_a: Any, tmp_path: Path) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    path = exported_copy(org_a, export_eagerly(org_a, period=SAMPLE_PERIOD, format="parquet"), tmp_path)
    schema = pq.read_schema(path)
    assert schema.names == list(FOCUS_COLUMNS)
    assert schema.field("BilledCost").type == pa.decimal128(28, 12)
    assert schema.field("PricingQuantity").type == pa.decimal128(32, 15)
    assert schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    table = pq.read_table(path)
    # Columns our line items do not carry are null, never 0 or "".
    assert table.column("InvoiceId").null_count == table.num_rows
    assert table.column("CommitmentDiscountQuantity").null_count == table.num_rows
    # Tags are JSON objects (or null); the first charge is midnight UTC on the period's first day or later.
    tags = [json.loads(t) for t in table.column("Tags").to_pylist() if t is not None]
    assert tags and all(isinstance(t, dict) for t in tags)
    first = min(table.column("ChargePeriodStart").to_pylist())
    assert first >= datetime.datetime(2024, 9, 1, tzinfo=datetime.UTC)


def test_the_csv_file_writes_iso_utc_datetimes_and_plain_decimals(org_a: Any, tmp_path: Path) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    path = exported_copy(org_a, export_eagerly(org_a, period=SAMPLE_PERIOD, format="csv"), tmp_path)
    relation = file_relation(path)
    bad_dates = (
        duckdb.connect()
        .execute(
            f"SELECT COUNT(*) FROM {relation} WHERE NOT regexp_full_match(ChargePeriodStart, '\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')"
        )
        .fetchone()
    )
    assert bad_dates == (0,)
    costs = [r[0] for r in duckdb.connect().execute(f"SELECT BilledCost FROM {relation}").fetchall()]
    assert not [c for c in costs if "E" in c.upper()]  # 0.0000008, never 8.0E-7
    # The smallest charge of the sample survives exactly.
    assert "0.0000008" in costs
    nulls = duckdb.connect().execute(f"SELECT COUNT(*) FROM {relation} WHERE InvoiceId IS NULL").fetchone()
    assert nulls == (999,)


def test_a_period_no_bill_delivered_cannot_be_exported(org_a: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    with tenant_context(org_a.organization):
        with pytest.raises(ExportError, match="No bill has been delivered for March 2023"):
            focus_export_create(billing_period=datetime.date(2023, 3, 1), format="csv")
        with pytest.raises(ExportError, match="not an export format"):
            focus_export_create(billing_period=SAMPLE_PERIOD, format="xlsx")
        assert not FocusExport.objects.exists()


def test_an_export_whose_lines_are_gone_fails_with_its_reason(org_a: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    with tenant_context(org_a.organization):
        export = focus_export_create(billing_period=SAMPLE_PERIOD, format="parquet")
        # The period's lines are removed before the worker gets to it (a source deleted meanwhile).
        with connection.cursor() as db:
            db.execute("DELETE FROM costs_costlineitem WHERE billing_period = %s", [SAMPLE_PERIOD])
        failed = focus_export_run(export_id=export.pk)
        assert failed is not None
        assert failed.status == ExportStatus.FAILED
        assert failed.error == "September 2024 has no line items (any more): there is nothing to export."
        assert failed.finished_at is not None and not failed.file_key
        # Running it again (a redelivered task) leaves the finished export alone.
        assert focus_export_run(export_id=export.pk) is None


def test_the_totals_are_not_trivially_equal(org_a: Any, tmp_path: Path) -> None:
    """The comparison above can fail: one changed line changes the database side."""
    ingest(org_a, FOCUS_SAMPLE)
    path = exported_copy(org_a, export_eagerly(org_a, period=SAMPLE_PERIOD, format="parquet"), tmp_path)
    with tenant_context(org_a.organization), connection.cursor() as db:
        db.execute(
            "UPDATE costs_costlineitem SET billed_cost = billed_cost + 0.01 WHERE id = (SELECT min(id) FROM costs_costlineitem)"
        )
    assert file_sums(path)["billed_cost"] == db_sums(org_a, SAMPLE_PERIOD)["billed_cost"] - Decimal("0.01")


def test_a_delivery_that_replaces_the_period_mid_export_fails_the_export(
    org_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file would mix two deliveries: the export stops and says to request it again."""
    from costs.explorer.exports import services

    ingest(org_a, FOCUS_SAMPLE)
    real_batches = services.focus_line_batches

    def batches_with_a_redelivery(**kwargs: Any) -> Any:
        for number, batch in enumerate(real_batches(**kwargs)):
            yield batch
            if number == 0:  # the same bill delivered again after the first batch: new loads replace the old
                ingest(org_a, FOCUS_SAMPLE)

    monkeypatch.setattr(services, "focus_line_batches", batches_with_a_redelivery)
    export = export_eagerly(org_a, period=SAMPLE_PERIOD, format="csv")
    assert export.status == ExportStatus.FAILED
    assert (
        export.error == "A new delivery replaced September 2024 while it was being exported: request the export again."
    )
    assert not export.file_key
