"""Bad input fails the job with a message naming file (row, column) and leaves earlier data untouched.

The corpus of single bad or unusual files, one outcome each, is test_ingest_corpus.py."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.ingest.errors import IngestError
from costs.ingest.jobs import job_create, job_execute
from costs.models import CostSource, JobStatus, JobTrigger
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, db_totals, enter, line_count

pytestmark = pytest.mark.django_db

GOOD = FOCUS_SMALL.read_text()
HEADER, *ROWS = GOOD.splitlines()


def memory_file(name: str, data: bytes) -> DeliveryFile:
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def csv_bytes(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def replace_field(row: str, column: str, value: str) -> str:
    """Set one column of a FOCUS_SMALL row (no embedded commas before the Tags column)."""
    index = HEADER.split(",").index(column)
    cells = row.split(",")
    cells[index] = value
    return ",".join(cells)


@pytest.fixture
def loaded(org_a):
    enter(org_a)
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    return source, db_totals(), line_count()


def run(source, *files: DeliveryFile):
    job = job_create(source=source, trigger=JobTrigger.UPLOAD, files=[f.name for f in files])
    return job_execute(job=job, files=list(files))


def test_a_bad_file_fails_its_whole_delivery_and_keeps_old_data(loaded):
    """One bad file among good ones: nothing of the delivery is kept. (Single bad files, one
    outcome each, are the corpus in test_ingest_corpus.py.)"""
    source, totals_before, lines_before = loaded
    bad = memory_file("c.csv", csv_bytes(HEADER, [ROWS[0], replace_field(ROWS[1], "BilledCost", "12.5x")]))
    job = run(source, as_file(FOCUS_SMALL, name="good.csv"), bad)
    assert job.status == JobStatus.FAILED
    assert job.error == "c.csv, row 2, column BilledCost: has a non-numeric value '12.5x'"
    assert job.finished_at is not None
    assert db_totals() == totals_before
    assert line_count() == lines_before


def test_different_accounts_in_different_currencies_are_kept_apart(org_a):
    enter(org_a)
    euro = replace_field(replace_field(ROWS[2], "BillingCurrency", "EUR"), "BillingAccountId", "999900001111")
    summary = delivery_ingest(
        source=CostSource.objects.uploads(), files=[memory_file("two.csv", csv_bytes(HEADER, [ROWS[0], euro]))]
    )
    assert set(summary.totals["2025-03"]) == {"USD", "EUR"}
    assert summary.totals["2025-03"]["EUR"]["billed_cost"] == Decimal("5.25")


def test_unknown_format_argument_is_rejected(org_a):
    enter(org_a)
    with pytest.raises(IngestError, match="unknown format"):
        delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)], format="xml")


def test_a_format_that_does_not_fit_the_file_names_the_missing_columns(org_a):
    enter(org_a)
    with pytest.raises(IngestError, match="focus_small.csv.*missing required CUR column"):
        delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)], format="cur2")
