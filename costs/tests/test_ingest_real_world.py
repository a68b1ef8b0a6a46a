"""Files as real tools write them (issue 14, items 5-7 and 9): null tokens in optional numeric
columns, headers whose case a tool changed, near misses of a format, implausible amounts."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costs.ingest.delivery import DeliveryFile
from costs.ingest.jobs import job_create, job_execute
from costs.models import CostLineItem, CostSource, IngestionJob, JobStatus, JobTrigger
from costs.tests.test_ingest_correctness import assert_totals_match
from costs.tests.test_ingest_support import LEGACY, LEGACY_CSV, db_totals, enter, line_count, raw_cur_totals

pytestmark = pytest.mark.django_db

LEGACY_HEADER = (
    "identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,bill/BillingPeriodEndDate,"
    "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/LineItemType,lineItem/CurrencyCode,"
    "lineItem/UnblendedCost,lineItem/ProductCode,pricing/publicOnDemandCost,savingsPlan/SavingsPlanEffectiveCost,"
    "savingsPlan/SavingsPlanARN"
)


def legacy_row(day: int, kind: str, unblended: str, *, on_demand: str = "", sp_effective: str = "") -> str:
    arn = "arn:aws:savingsplans::1:savingsplan/sp-1" if kind.startswith("SavingsPlan") else ""
    return (
        f"id-{day},111122223333,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,2025-03-{day:02d}T00:00:00Z,"
        f"2025-03-{day:02d}T01:00:00Z,{kind},USD,{unblended},AmazonEC2,{on_demand},{sp_effective},{arn}"
    )


def memory_file(name: str, data: bytes) -> DeliveryFile:
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def text_file(name: str, header: str, rows: list[str]) -> DeliveryFile:
    return memory_file(name, ("\n".join([header, *rows]) + "\n").encode())


def run(*files: DeliveryFile) -> IngestionJob:
    source = CostSource.objects.uploads()
    job = job_create(source=source, trigger=JobTrigger.UPLOAD, files=[f.name for f in files])
    return job_execute(job=job, files=list(files))


def billed_total() -> Decimal:
    return sum((row["billed_cost"] for row in db_totals().values()), Decimal(0))


# --- item 5: null tokens --------------------------------------------------------------------


def test_null_tokens_in_optional_numeric_columns_are_empty_and_counted_in_the_jobs_notes(org_a):
    enter(org_a)
    rows = [
        legacy_row(1, "Usage", "1.50", on_demand="None"),
        legacy_row(2, "Usage", "2.25", on_demand="N/A", sp_effective="NaN"),
        legacy_row(3, "Usage", "0.25", on_demand="-", sp_effective="null"),
        legacy_row(4, "SavingsPlanCoveredUsage", "4.00", on_demand="5.00", sp_effective=" none "),
        legacy_row(5, "Usage", "1.00", on_demand="1.10"),
    ]
    job = run(text_file("sp.csv", LEGACY_HEADER, rows))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert billed_total() == Decimal("9.00")
    assert "sp.csv, column pricing/publicOnDemandCost: 3 null token(s) read as empty" in " | ".join(job.notes)
    assert any(n.startswith("sp.csv, column savingsPlan/SavingsPlanEffectiveCost: 2 null token(s)") for n in job.notes)
    assert any("'None' x1" in n and "'N/A' x1" in n and "'-' x1" in n for n in job.notes), job.notes
    # Empty is empty: the list cost of the token rows is NULL, and a covered line without its
    # effective cost counts as zero there (AWS's formula), not as a number read from 'none'.
    assert CostLineItem.objects.filter(list_cost__isnull=True).count() == 3
    assert CostLineItem.objects.get(x_line_item_type="SavingsPlanCoveredUsage").effective_cost == 0


def test_nan_in_an_optional_parquet_double_column_is_empty_and_counted(org_a):
    enter(org_a)
    table = pa.table(
        {
            "BillingAccountId": ["111122223333"] * 2,
            "BillingCurrency": ["USD"] * 2,
            "BillingPeriodStart": ["2025-03-01T00:00:00Z"] * 2,
            "ChargePeriodStart": ["2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z"],
            "ChargeCategory": ["Usage"] * 2,
            "BilledCost": pa.array([1.25, 2.5], pa.float64()),
            "EffectiveCost": pa.array([1.25, 2.5], pa.float64()),
            "ListCost": pa.array([float("nan"), 3.0], pa.float64()),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    job = run(memory_file("focus.parquet", out.getvalue()))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert any(
        n.startswith("focus.parquet, column ListCost: 1 null token(s) read as empty ('nan' x1)") for n in job.notes
    )
    assert billed_total() == Decimal("3.75")


@pytest.mark.parametrize("token", ["None", "NaN", "N/A", "-"])
def test_a_null_token_in_a_required_cost_column_is_rejected_naming_row_and_column(org_a, token):
    enter(org_a)
    rows = [legacy_row(1, "Usage", "1.50"), legacy_row(2, "Usage", "2.00"), legacy_row(3, "Usage", token)]
    job = run(text_file("cur.csv", LEGACY_HEADER, rows))
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(
        f"cur.csv, row 3, column lineItem/UnblendedCost: has {token!r} where an amount is required"
    )
    assert line_count() == 0


# --- item 6: header case ---------------------------------------------------------------------


def test_a_lower_cased_legacy_cur_header_is_read_like_the_original(org_a, tmp_path: Path):
    enter(org_a)
    header, rest = LEGACY_CSV.read_text().split("\n", 1)
    lowered = tmp_path / "lower.csv"
    lowered.write_text(header.lower() + "\n" + rest)
    job = run(DeliveryFile(name="lower.csv", open=lambda: lowered.open("rb"), size=lowered.stat().st_size))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.rows == 1281
    assert_totals_match(raw_cur_totals(f"read_csv('{LEGACY_CSV}', all_varchar = true)", LEGACY))


def test_an_upper_cased_snake_case_focus_header_is_focus(org_a):
    enter(org_a)
    header = "BILLING_ACCOUNT_ID,BILLING_CURRENCY,BILLING_PERIOD_START,CHARGE_PERIOD_START,CHARGE_CATEGORY,BILLED_COST,EFFECTIVE_COST"
    rows = ["111122223333,USD,2025-03-01T00:00:00Z,2025-03-04T00:00:00Z,Usage,7.125,7.000"]
    job = run(text_file("upper.csv", header, rows))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert CostLineItem.objects.get().effective_cost == Decimal("7.000")


def test_columns_that_differ_only_in_case_are_still_an_error(org_a):
    enter(org_a)
    header = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,billedcost"
    rows = ["111122223333,USD,2025-03-01T00:00:00Z,2025-03-04T00:00:00Z,Usage,7.00,7.00,9.00"]
    job = run(text_file("dup.csv", header, rows))
    assert job.status == JobStatus.FAILED
    assert (
        job.error
        == "dup.csv: has columns that differ only in case or punctuation (BilledCost, billedcost); each must be unique"
    )
    assert line_count() == 0


def test_legacy_tag_columns_that_differ_only_in_case_are_two_tags(org_a):
    """AWS tag keys are case-sensitive: `user:Env` and `user:env` are different tags."""
    enter(org_a)
    header = LEGACY_HEADER + ",resourceTags/user:Env,resourceTags/user:env"
    job = run(text_file("tags.csv", header, [legacy_row(1, "Usage", "1.00") + ",prod,blue"]))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert CostLineItem.objects.get().tags == {"Env": "prod", "env": "blue"}


# --- item 7: near misses ---------------------------------------------------------------------

FOCUS_HEADER = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,ServiceName"
FOCUS_ROW = "111122223333,USD,2025-03-01T00:00:00Z,2025-03-04T00:00:00Z,Usage,7.00,7.00,Amazon EC2"


def without(header: str, row: str, *columns: str) -> tuple[str, str]:
    names, cells = header.split(","), row.split(",")
    keep = [i for i, name in enumerate(names) if name not in columns]
    return ",".join(names[i] for i in keep), ",".join(cells[i] for i in keep)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (("BilledCost",), "looks like FOCUS; the mandatory column BilledCost is missing"),
        (
            ("BilledCost", "ChargePeriodStart"),
            "looks like FOCUS; the mandatory columns ChargePeriodStart, BilledCost are missing",
        ),
    ],
)
def test_a_focus_file_missing_a_mandatory_column_says_it_looks_like_focus(org_a, missing, message):
    enter(org_a)
    header, row = without(FOCUS_HEADER, FOCUS_ROW, *missing)
    job = run(text_file("near.csv", header, [row]))
    assert (job.status, job.error) == (JobStatus.FAILED, f"near.csv: {message}")


def test_a_cur_missing_its_unblended_cost_says_it_looks_like_a_cur(org_a):
    enter(org_a)
    header, row = without(LEGACY_HEADER, legacy_row(1, "Usage", "1.00"), "lineItem/UnblendedCost")
    job = run(text_file("near-cur.csv", header, [row]))
    assert job.error == "near-cur.csv: looks like an AWS CUR; the mandatory column lineItem/UnblendedCost is missing"


def test_a_file_with_one_lonely_focus_name_is_still_an_unknown_format(org_a):
    enter(org_a)
    job = run(text_file("other.csv", "date,ServiceName,amount", ["2025-03-01,EC2,1.00"]))
    assert "unknown format" in job.error


# --- item 9: implausible amounts ---------------------------------------------------------------


def test_an_implausible_amount_is_kept_exactly_with_a_warning_on_the_job(org_a, org_b, client_for):
    enter(org_a)
    rows = [FOCUS_ROW, FOCUS_ROW.replace("7.00,7.00", "1000000000000000,12.50")]
    job = run(text_file("huge.csv", FOCUS_HEADER, rows))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert billed_total() == Decimal("1000000000000007.00")
    assert job.warnings == [
        {
            "file": "huge.csv",
            "row": 2,
            "column": "BilledCost",
            "value": "1000000000000000",
            "message": "has an implausible amount for one line (1,000,000,000 or more); it is kept exactly as given",
        }
    ]
    page = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/jobs/{job.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Warnings" in text and "1000000000000000" in text and "BilledCost" in text and "implausible" in text
    progress = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/jobs/{job.pk}/progress.json").json()
    assert progress["warnings"][0]["row"] == 2
    assert client_for(org_b.owner, org_b).get(f"/cloud-accounts/jobs/{job.pk}/").status_code == 404
