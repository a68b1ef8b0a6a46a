"""What a check says about Cost Explorer estimates, and estimates giving way once a report covers their period.

moto over HTTP: the bucket holds the real legacy CUR sample (Nov 2023); Cost Explorer
results are seeded through moto's seeding API.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from costs.models import CostSource, DailyCostRollup, IngestionJob, JobStatus, SourceKind
from costs.services.checks import source_check_run
from costs.services.sources import source_create
from costs.tests.conftest import ROLE_ARN, legacy_delivery_put
from costs.tests.test_estimates_gap_fill import day, group

BUCKET = "acme-billing"
SAMPLE = Path(settings.BASE_DIR).parent / "shared" / "data" / "aws_cur" / "legacy_csv"
# Two November days (the report's period) and one December day (no report covers it).
ESTIMATES = [
    {
        "ResultsByTime": [
            day("2023-11-01", "2023-11-02", group("Amazon EC2", "222222222222", "10.00", "9.50")),
            day("2023-11-02", "2023-11-03", group("Amazon EC2", "222222222222", "11.00", "10.00")),
            day("2023-12-01", "2023-12-02", group("Amazon EC2", "222222222222", "12.00", "11.00")),
        ]
    }
]


def sample_gz(*, corrupt: bool) -> bytes:
    rows = list(csv.reader(io.StringIO((SAMPLE / "sample-anonymous-aws-export-dataset.csv").read_text())))
    if corrupt:
        rows[8][rows[0].index("lineItem/UnblendedCost")] = "twelve dollars"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return gzip.compress(out.getvalue().encode())


def deliver(s3: Any, *, assembly: str, corrupt: bool, written: bool = True) -> None:
    legacy_delivery_put(
        s3, bucket=BUCKET, root="cur/", name="daily", period="20231101-20231201",
        files={"daily-00001.csv.gz": sample_gz(corrupt=corrupt)}, assembly_id=assembly,
        skip_files=() if written else ("daily-00001.csv.gz",),
    )  # fmt: skip


@pytest.fixture
def linked(aws: Any, org_a: Any) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    with tenant_context(org_a.organization):
        source = source_create(
            name="Payer", role_arn=ROLE_ARN, bucket=BUCKET, prefix="cur", export_name="daily", format="auto"
        )
        yield s3, source


def test_a_failed_report_is_named_instead_of_zero_days_of_estimates(linked: Any) -> None:
    s3, source = linked
    deliver(s3, assembly="asm-1", corrupt=True)

    outcome = source_check_run(source=source)
    # AWS starts writing a restatement: the next check has nothing to ingest, the failure is from before.
    deliver(s3, assembly="asm-2", corrupt=False, written=False)
    again = source_check_run(source=source)

    job = IngestionJob.objects.get(source=source)
    assert job.status == JobStatus.FAILED
    for message in (outcome.message, again.message):
        assert "for 0 days" not in message and "until the first report arrives" not in message
        assert "Cost Explorer had no costs to estimate for those days either." in message
    assert "Failed deliveries: 2023-11 (job" in outcome.message
    assert "No report is ingested yet because the delivery above failed." in outcome.message
    assert f"No report is ingested yet: the last delivery (2023-11, job {job.pk}) failed: " in again.message
    assert "row 8, column lineItem/UnblendedCost: has a non-numeric value 'twelve dollars'" in again.message


def test_estimates_stand_in_while_the_report_fails_then_give_way_to_it(aws: Any, linked: Any) -> None:
    s3, source = linked
    aws.seed_cost_explorer(ESTIMATES)
    deliver(s3, assembly="asm-1", corrupt=True)

    first = source_check_run(source=source)

    assert "No report is ingested yet because the delivery above failed." in first.message
    assert "Meanwhile Cost Explorer estimates stand in for 3 days" in first.message
    assert DailyCostRollup.objects.filter(is_estimate=True).count() == 3

    deliver(s3, assembly="asm-2", corrupt=False)  # AWS restates the period; this time it reads
    second = source_check_run(source=source)

    assert second.ok, second.message
    # November is the report's now: its estimates go whole; December's estimate stays, labelled.
    assert list(DailyCostRollup.objects.filter(is_estimate=True).values_list("day", flat=True)) == [date(2023, 12, 1)]
    assert "Cost Explorer estimates remain for 2023-12, which no report covers yet." in second.message
    estimates = CostSource.objects.get(kind=SourceKind.COST_EXPLORER)
    assert estimates.last_check_message.startswith("Estimates for 2023-12 only, which no report of Payer covers yet")


def test_the_estimates_source_goes_once_reports_cover_every_period_it_stood_in_for(aws: Any, linked: Any) -> None:
    s3, source = linked
    aws.seed_cost_explorer([{"ResultsByTime": ESTIMATES[0]["ResultsByTime"][:2]}])
    deliver(s3, assembly="asm-1", corrupt=True)
    source_check_run(source=source)
    assert CostSource.objects.filter(kind=SourceKind.COST_EXPLORER).exists()

    deliver(s3, assembly="asm-2", corrupt=False)
    outcome = source_check_run(source=source)

    assert "Cost Explorer estimates retired: reports cover every period they stood in for." in outcome.message
    assert not CostSource.objects.filter(kind=SourceKind.COST_EXPLORER).exists()
    assert not DailyCostRollup.objects.filter(is_estimate=True).exists()
