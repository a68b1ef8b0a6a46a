"""The command line: ingest_file (files or a manifest), cost_totals, generate_cur, load_demo_data."""

from __future__ import annotations

import datetime
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from costs.demo.generator import cur_generate
from costs.models import CostLineItem, CostSource, IngestionJob, JobStatus, JobTrigger
from costs.tests.test_ingest_support import FOCUS_SMALL, LEGACY_CSV, enter

pytestmark = pytest.mark.django_db


def command(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def test_ingest_file_prints_a_one_line_summary_and_records_a_cli_job(org_a):
    summary = command("ingest_file", "--org", "acme", str(FOCUS_SMALL), str(LEGACY_CSV))
    assert summary["status"] == "succeeded"
    assert summary["rows"] == 5 + 1281
    assert summary["billing_periods"] == ["2023-11", "2025-02", "2025-03"]
    assert summary["totals"]["2025-02"]["USD"]["billed_cost"].startswith("7.00")
    enter(org_a)
    job = IngestionJob.objects.get(pk=summary["job"])
    assert (job.status, job.trigger, job.rows) == (JobStatus.SUCCEEDED, JobTrigger.CLI, 1286)


def test_ingest_file_with_a_manifest_ingests_the_files_it_lists_as_one_delivery(org_a, tmp_path):
    result = cur_generate(out=tmp_path, format="cur-legacy", months=2, seed=3, start=datetime.date(2025, 1, 1))
    for period in result.periods:
        summary = command("ingest_file", "--org", "acme", str(period.manifest))
        assert summary["billing_periods"] == [period.period]
        assert summary["rows"] == period.rows
        assert summary["notes"] == [f"{period.files[0].name}: read as cur_legacy"]
    enter(org_a)
    assert CostLineItem.objects.count() == result.rows
    # Legacy schema drift: the `project` tag only exists from the second month on.
    assert not CostLineItem.objects.filter(billing_period="2025-01-01", tags__has_key="project").exists()
    assert CostLineItem.objects.filter(billing_period="2025-02-01", tags__has_key="project").exists()


def test_a_manifest_listing_a_missing_file_fails_naming_it_and_changes_nothing(org_a, tmp_path):
    command("ingest_file", "--org", "acme", str(FOCUS_SMALL))
    result = cur_generate(out=tmp_path, format="cur2", months=1, seed=3, start=datetime.date(2025, 3, 1))
    result.periods[0].files[0].unlink()
    with pytest.raises(CommandError, match=r"northwind-Manifest.json.*northwind-00001.snappy.parquet.*missing"):
        command("ingest_file", "--org", "acme", str(result.periods[0].manifest))
    enter(org_a)
    assert CostLineItem.objects.count() == 5


def test_ingest_file_reports_bad_input_as_a_failed_job(org_a, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("BilledCost,ChargePeriodStart,BillingPeriodStart\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="bad.csv"):
        call_command("ingest_file", "--org", "acme", str(bad), stdout=out)
    assert json.loads(out.getvalue())["status"] == "failed"


def test_unknown_organization_is_an_error(db):
    with pytest.raises(CommandError, match="no organization"):
        call_command("ingest_file", "--org", "nope", str(FOCUS_SMALL), stdout=io.StringIO())


def test_cost_totals_prints_totals_per_period_currency_category_and_basis(org_a):
    command("ingest_file", "--org", "acme", str(FOCUS_SMALL))
    totals = command("cost_totals", "--org", "acme", "--period", "2025-03")["totals"]
    by_category = {row["charge_category"]: row for row in totals}
    assert set(by_category) == {"Usage", "Tax", "All"}
    assert by_category["All"]["billed_cost"] == "16.303457589000"  # 10.123456789 + 0.0000008 + 5.25 + 0.93
    assert by_category["Usage"]["effective_cost"] == "14.750000800000"
    assert by_category["All"]["rows"] == 4
    assert {row["billing_period"] for row in totals} == {"2025-03"}
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("cost_totals", "--org", "acme", "--period", "March", stdout=io.StringIO())


def test_load_demo_data_is_idempotent(org_a):
    first = command("load_demo_data", "--org", "acme", "--months", "2")
    enter(org_a)
    count = CostLineItem.objects.count()
    totals = command("cost_totals", "--org", "acme")
    second = command("load_demo_data", "--org", "acme", "--months", "2")
    assert [p["rows"] for p in first["periods"]] == [p["rows"] for p in second["periods"]]
    assert CostLineItem.objects.count() == count > 0
    assert command("cost_totals", "--org", "acme") == totals
    assert CostSource.objects.filter(name__startswith="Demo").count() == 1


def test_generate_cur_writes_files_and_a_manifest(tmp_path):
    out = io.StringIO()
    call_command("generate_cur", "--out", str(tmp_path), "--rows", "3000", "--start", "2025-05", stdout=out)
    result = json.loads(out.getvalue())
    assert result["rows"] >= 3000
    period = result["periods"][0]
    manifest = json.loads(Path(period["manifest"]).read_text())
    assert manifest["dataFiles"][0].endswith("northwind-00001.snappy.parquet")
    shutil.rmtree(tmp_path)
