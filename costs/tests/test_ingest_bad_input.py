"""Bad input fails the job with a message naming file (row, column) and leaves earlier data untouched."""

from __future__ import annotations

import gzip
import io
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
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


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def parquet_bytes() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"BilledCost": ["1.0"]}), sink)
    return sink.getvalue()


CASES = [
    ("truncated gzip", lambda: memory_file("cur.csv.gz", gz(GOOD.encode() * 50)[:300]), ["cur.csv.gz", "gzip"]),
    ("not gzip", lambda: memory_file("cur.csv.gz", b"\x1f\x8b" + b"\x00garbage" * 20), ["cur.csv.gz", "gzip"]),
    ("parquet footer missing", lambda: memory_file("x.parquet", parquet_bytes()[:-10]), ["x.parquet", "footer"]),
    ("empty file", lambda: memory_file("empty.csv", b""), ["empty.csv", "empty"]),
    ("header only", lambda: memory_file("h.csv", (HEADER + "\n").encode()), ["h.csv", "no data rows"]),
    ("unknown format", lambda: memory_file("n.csv", b"a,b,c\n1,2,3\n"), ["n.csv", "unknown format"]),
    ("binary junk", lambda: memory_file("j.bin", bytes(range(256)) * 4), ["j.bin"]),
    (
        "required column missing",
        lambda: memory_file("m.csv", csv_bytes(HEADER.replace("BillingCurrency", "Currency"), ROWS)),
        ["m.csv", "BillingCurrency"],
    ),
    (
        "non-numeric cost",
        lambda: memory_file("c.csv", csv_bytes(HEADER, [ROWS[0], replace_field(ROWS[1], "BilledCost", "12.5x")])),
        ["c.csv", "row 2", "BilledCost", "non-numeric"],
    ),
    (
        "out-of-range cost",
        lambda: memory_file("r.csv", csv_bytes(HEADER, [*ROWS[:2], replace_field(ROWS[2], "EffectiveCost", "1e30")])),
        ["r.csv", "row 3", "EffectiveCost", "out-of-range"],
    ),
    (
        "invalid date",
        lambda: memory_file("d.csv", csv_bytes(HEADER, [replace_field(ROWS[0], "ChargePeriodStart", "2025-13-45")])),
        ["d.csv", "row 1", "ChargePeriodStart", "invalid date"],
    ),
    (
        "two currencies for one billing account and period",
        lambda: memory_file("e.csv", csv_bytes(HEADER, [ROWS[0], replace_field(ROWS[2], "BillingCurrency", "EUR")])),
        ["e.csv", "row 2", "EUR", "111122223333"],
    ),
    (
        "invalid tags JSON",
        lambda: memory_file("t.csv", csv_bytes(HEADER, [ROWS[1], ROWS[0].replace('{""team"": ""web""}', "{not json")])),
        ["t.csv", "row 2", "tags"],
    ),
]


@pytest.mark.parametrize(("label", "make", "needles"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_the_job_naming_the_problem_and_keeps_old_data(loaded, label, make, needles):
    source, totals_before, lines_before = loaded
    job = run(source, as_file(FOCUS_SMALL, name="good.csv"), make())
    assert job.status == JobStatus.FAILED, label
    for needle in needles:
        assert needle.lower() in job.error.lower(), (needle, job.error)
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
