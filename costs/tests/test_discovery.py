"""Discovery by manifest in a moto bucket, then ingestion of what is new (in-process, real PostgreSQL).

Data: the real legacy CUR CSV sample (Nov 2023, 1,281 rows) and the first rows of AWS's
published Parquet CUR sample (Oct 2018), from /work/shared/data.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs.models import CostLineItem, CostSource, DailyCostRollup, Delivery, IngestionJob, JobStatus
from costs.services.checks import source_check_run
from costs.services.discovery import ManifestError, deliveries_discover, manifest_parse
from costs.services.sources import source_create, source_credentials
from costs.tests.conftest import ROLE_ARN, exports_delivery_put, legacy_delivery_put

DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "aws_cur"
BUCKET = "acme-billing"
PERIOD = "20231101-20231201"


def legacy_csv_gz(drop_last: int = 0) -> tuple[bytes, Decimal, int]:
    """The sample as a gzipped CUR file, with its UnblendedCost total computed here from the text."""
    text = (DATA / "legacy_csv" / "sample-anonymous-aws-export-dataset.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1 : len(rows) - drop_last]
    cost = header.index("lineItem/UnblendedCost")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    total = sum((Decimal(r[cost]) for r in body), Decimal(0))
    return gzip.compress(out.getvalue().encode()), total, len(body)


@pytest.fixture(scope="module")
def sample() -> tuple[bytes, Decimal, int]:
    return legacy_csv_gz()


@pytest.fixture
def world(aws: Any, org_a: Any) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    with tenant_context(org_a.organization):
        source = source_create(
            name="Payer", role_arn=ROLE_ARN, bucket=BUCKET, prefix="reports", export_name="daily", format="auto"
        )
        yield s3, source


def put_legacy(s3: Any, body: bytes, assembly: str, **kwargs: Any) -> str:
    return legacy_delivery_put(
        s3,
        bucket=BUCKET,
        root="reports/",
        name="daily",
        period=PERIOD,
        files={"daily-00001.csv.gz": body},
        assembly_id=assembly,
        **kwargs,
    )


def unblended_total(source: CostSource) -> Decimal:
    return DailyCostRollup.objects.filter(source=source).aggregate(t=Sum("unblended_cost"))["t"] or Decimal(0)


def test_legacy_delivery_is_ingested_and_totals_match_the_file(world: Any, sample: Any) -> None:
    s3, source = world
    body, total, rows = sample
    put_legacy(s3, body, "asm-1")

    outcome = source_check_run(source=source)

    assert outcome.ok, outcome.message
    job = IngestionJob.objects.get(source=source)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.rows == rows
    assert job.files == [f"reports/daily/{PERIOD}/asm-1/daily-00001.csv.gz"]
    assert unblended_total(source) == total
    assert CostLineItem.objects.filter(source=source).count() == rows
    assert Delivery.objects.get(source=source).delivery_key.startswith("2023-11/asm-1/")


def test_already_ingested_delivery_is_skipped(world: Any, sample: Any) -> None:
    s3, source = world
    put_legacy(s3, sample[0], "asm-1")
    source_check_run(source=source)

    outcome = source_check_run(source=source)

    assert "0 new deliveries; 1 already ingested" in outcome.message
    assert IngestionJob.objects.filter(source=source).count() == 1


def test_restated_delivery_replaces_the_period(world: Any, sample: Any) -> None:
    s3, source = world
    put_legacy(s3, sample[0], "asm-1")
    source_check_run(source=source)
    restated, total, rows = legacy_csv_gz(drop_last=281)
    put_legacy(s3, restated, "asm-2")

    outcome = source_check_run(source=source)

    assert "1 new delivery" in outcome.message
    assert IngestionJob.objects.filter(source=source, status=JobStatus.SUCCEEDED).count() == 2
    assert CostLineItem.objects.filter(source=source).count() == rows == 1000
    assert unblended_total(source) == total


def test_half_written_delivery_is_skipped_for_now_then_ingested(world: Any, sample: Any) -> None:
    s3, source = world
    put_legacy(s3, sample[0], "asm-1", skip_files=("daily-00001.csv.gz",))

    first = source_check_run(source=source)

    assert first.ok
    assert "still being written, skipped for now: 2023-11 (1 file not yet written)" in first.message
    assert not IngestionJob.objects.filter(source=source).exists()

    put_legacy(s3, sample[0], "asm-1")
    second = source_check_run(source=source)
    assert "1 new delivery" in second.message
    assert unblended_total(source) == sample[1]


def test_cur2_export_manifest_lists_data_files(world: Any) -> None:
    s3, source = world
    table = pq.read_table(DATA / "legacy_parquet" / "Oct2018-WorkshopCUR-00001.snappy.parquet").slice(0, 3000)
    halves = [table.slice(0, 1500), table.slice(1500)]
    files = {}
    for i, part in enumerate(halves, start=1):
        buffer = io.BytesIO()
        pq.write_table(part, buffer)
        files[f"daily-0000{i}.snappy.parquet"] = buffer.getvalue()
    exports_delivery_put(
        s3, bucket=BUCKET, root="reports/", name="daily", period="2018-10", files=files, execution_id="exec-1"
    )

    outcome = source_check_run(source=source)

    assert outcome.ok, outcome.message
    job = IngestionJob.objects.get(source=source)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.rows == 3000
    assert len(job.files) == 2
    expected = pa.compute.sum(table["line_item_unblended_cost"]).as_py()
    assert float(unblended_total(source)) == pytest.approx(expected, abs=1e-6)
    assert Delivery.objects.get(source=source).delivery_key.startswith("2018-10/exec-1/")


def test_cur2_half_written_export_is_not_read(world: Any) -> None:
    s3, source = world
    exports_delivery_put(
        s3,
        bucket=BUCKET,
        root="reports/",
        name="daily",
        period="2026-10",
        files={"a.parquet": b"PAR1", "b.parquet": b"PAR1"},
        execution_id="exec-9",
        skip_files=("b.parquet",),
    )
    found = deliveries_discover(source=source, credentials=source_credentials(source=source))
    assert found.ready == []
    assert [(i.manifest_key.rsplit("/", 1)[-1], i.missing) for i in found.incomplete] == [
        ("daily-Manifest.json", ["reports/daily/data/BILLING_PERIOD=2026-10/b.parquet"])
    ]


def test_bad_manifests_are_named(world: Any) -> None:
    _, source = world
    key = "reports/daily/metadata/BILLING_PERIOD=2026-10/daily-Manifest.json"
    with pytest.raises(ManifestError, match=r"BILLING_PERIOD=2026-10/daily-Manifest.json: not valid JSON"):
        manifest_parse(source=source, key=key, body=b"{nope")
    with pytest.raises(ManifestError, match="has no 'dataFiles' list"):
        manifest_parse(source=source, key=key, body=b"{}")
    with pytest.raises(ManifestError, match="outside bucket acme-billing"):
        manifest_parse(source=source, key=key, body=b'{"dataFiles": ["s3://other/x.parquet"]}')


# --- files that never arrive ----------------------------------------------------------------


def manifest_written(s3: Any, key: str) -> Any:
    return s3.head_object(Bucket=BUCKET, Key=key)["LastModified"]


def test_missing_files_are_pending_until_the_stated_age_then_a_problem_naming_the_keys(world: Any, sample: Any) -> None:
    s3, source = world
    manifest = put_legacy(s3, sample[0], "asm-1", skip_files=("daily-00001.csv.gz",))
    written = manifest_written(s3, manifest)
    credentials = source_credentials(source=source)

    early = deliveries_discover(source=source, credentials=credentials, now=written + timedelta(hours=23))
    late = deliveries_discover(source=source, credentials=credentials, now=written + timedelta(hours=25))

    assert early.overdue == [] and len(early.incomplete) == 1
    assert "still being written, skipped for now: 2023-11" in early.summary()
    assert [i.missing for i in late.overdue] == [[f"reports/daily/{PERIOD}/asm-1/daily-00001.csv.gz"]]
    assert (
        f"files missing for more than 24 hours: 2023-11: the manifest {manifest} was written 25 hours ago, but 1 of "
        f"the files it lists is still missing: reports/daily/{PERIOD}/asm-1/daily-00001.csv.gz"
    ) in late.summary()
    assert "still being written" not in late.summary()


def test_an_overdue_delivery_turns_the_source_red_and_its_page_names_the_missing_keys(
    world: Any, sample: Any, settings: Any, org_a: Any, client_for: Any
) -> None:
    s3, source = world
    put_legacy(s3, sample[0], "asm-1", skip_files=("daily-00001.csv.gz",))
    settings.DELIVERY_FILES_OVERDUE_HOURS = 0
    time.sleep(1.1)  # S3's LastModified has whole seconds: the manifest is now older than 0 hours

    outcome = source_check_run(source=source)

    assert not outcome.ok
    source.refresh_from_db()
    assert source.last_check_ok is False
    body = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/sources/{source.pk}/").content.decode()
    assert "Problem" in body
    assert f"still missing: reports/daily/{PERIOD}/asm-1/daily-00001.csv.gz" in body


def test_a_copied_manifest_listing_keys_under_another_prefix_is_named_as_such(world: Any, sample: Any) -> None:
    s3, source = world
    # Copied from another bucket whose export lived under "billing/": the keys it lists are not here.
    manifest = {"assemblyId": "asm-7", "reportKeys": [f"billing/daily/{PERIOD}/asm-7/daily-00001.csv.gz"]}
    key = f"reports/daily/{PERIOD}/daily-Manifest.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())
    s3.put_object(Bucket=BUCKET, Key=f"reports/daily/{PERIOD}/asm-7/daily-00001.csv.gz", Body=sample[0])

    found = deliveries_discover(
        source=source,
        credentials=source_credentials(source=source),
        now=manifest_written(s3, key) + timedelta(hours=30),
    )

    (overdue,) = found.overdue
    assert overdue.outside_root == [f"billing/daily/{PERIOD}/asm-7/daily-00001.csv.gz"]
    assert (
        "(1 of them outside s3://acme-billing/reports/daily/: the manifest seems copied from another bucket or "
        "prefix; its files must be at the keys it lists)"
    ) in found.summary()
