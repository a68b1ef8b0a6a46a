"""Through real Celery worker processes: beat-style fan-out and "Check now" ingest from a moto bucket;
a worker SIGKILLed mid-load leaves no partial period and the redelivered task loads it exactly once.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import signal
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostLineItem, CostSource, DailyCostRollup, Delivery, IngestionJob, JobStatus
from costs.services.checks import INTERRUPTED
from costs.services.sources import source_create
from costs.tests.conftest import ROLE_ARN, exports_delivery_put, legacy_delivery_put
from finops.celery import app

pytestmark = [pytest.mark.worker]

DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "aws_cur"
PARQUET = DATA / "legacy_parquet" / "Oct2018-WorkshopCUR-00001.snappy.parquet"
BUCKET = "initech-billing"


def wait_for(what: str, condition: Callable[[], Any], seconds: float = 120, every: float = 0.05) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


def make_source(world: Any, export_name: str = "daily") -> CostSource:
    with tenant_context(world.organization):
        return source_create(
            name="Payer", role_arn=ROLE_ARN, bucket=BUCKET, prefix="cur", export_name=export_name, format="auto"
        )


def unblended(world: Any, source: CostSource) -> Decimal:
    with tenant_context(world.organization):
        return DailyCostRollup.objects.filter(source=source).aggregate(t=Sum("unblended_cost"))["t"] or Decimal(0)


def finished_jobs(world: Any, source: CostSource) -> list[IngestionJob]:
    with tenant_context(world.organization):
        jobs = list(IngestionJob.objects.filter(source=source).order_by("pk"))
    return jobs if jobs and all(j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) for j in jobs) else []


@pytest.fixture
def initech(aws: Any, committed_org: Any) -> tuple[Any, Any]:
    """A committed organization and the customer's (empty) billing bucket: (world, s3 client)."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return committed_org("initech"), s3


def test_the_scheduled_check_makes_the_worker_ingest_a_new_cur_delivery(
    initech: Any, celery_worker_process: Any
) -> None:
    world, s3 = initech
    csv_text = (DATA / "legacy_csv" / "sample-anonymous-aws-export-dataset.csv").read_text()
    legacy_delivery_put(
        s3,
        bucket=BUCKET,
        root="cur/",
        name="daily",
        period="20231101-20231201",
        files={"daily-00001.csv.gz": gzip.compress(csv_text.encode())},
        assembly_id="asm-1",
    )
    source = make_source(world)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    expected = sum((Decimal(r["lineItem/UnblendedCost"]) for r in rows), Decimal(0))
    connection.set_schema_to_public()  # type: ignore[attr-defined]

    fanned_out = tasks.sources_check_all_organizations.delay().get(timeout=60)

    assert fanned_out == 1
    (job,) = wait_for("the delivery's job to finish", lambda: finished_jobs(world, source))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.trigger == "schedule"
    assert job.rows == len(rows) == 1281
    assert unblended(world, source) == expected

    def checked() -> CostSource | None:
        with tenant_context(world.organization):
            return CostSource.objects.filter(pk=source.pk, last_checked_at__isnull=False).first()

    assert wait_for("the check to be recorded", checked).last_check_ok is True


def test_check_now_makes_the_worker_ingest_a_cur2_export(
    initech: Any, celery_worker_process: Any, client_for: Any
) -> None:
    world, s3 = initech
    table = pq.read_table(PARQUET).slice(0, 5000)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    exports_delivery_put(
        s3,
        bucket=BUCKET,
        root="cur/",
        name="cur2",
        period="2018-10",
        files={"cur2-00001.snappy.parquet": buffer.getvalue()},
        execution_id="exec-1",
    )
    source = make_source(world, export_name="cur2")

    response = client_for(world.admin, world).post(f"/cloud-accounts/sources/{source.pk}/check/")

    assert response.status_code == 302
    (job,) = wait_for("the delivery's job to finish", lambda: finished_jobs(world, source))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.trigger, job.rows) == ("manual", 5000)
    expected = pc.sum(table["line_item_unblended_cost"]).as_py()
    assert float(unblended(world, source)) == pytest.approx(expected, abs=1e-6)


def restore_unacked_now() -> int:
    """What the Redis transport does once the visibility timeout has passed, without waiting for it."""
    with app.connection_for_write(transport_options={"visibility_timeout": 0}) as conn:
        qos = conn.default_channel.qos
        before = conn.default_channel.client.hlen(qos.unacked_key)
        qos.restore_visible(start=0, num=100, interval=1)
        return int(before)


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return int(cursor.fetchone()[0])


def test_a_worker_killed_mid_load_leaves_no_partial_period_and_the_redelivery_loads_it_once(
    initech: Any, dedicated_worker: Any
) -> None:
    world, s3 = initech
    full = pq.read_table(PARQUET)
    small = full.slice(0, 1000)

    def parquet(table: Any) -> bytes:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()

    put: dict[str, Any] = {"bucket": BUCKET, "root": "cur/", "name": "cur2", "period": "2018-10"}
    exports_delivery_put(s3, files={"a.parquet": parquet(small)}, execution_id="exec-1", **put)
    source = make_source(world, export_name="cur2")
    queue = f"sigkill-{os.getpid()}"

    # 1) A first, small delivery of October 2018 is ingested.
    first_worker = dedicated_worker(queue)
    with tenant_context(world.organization):
        tasks.source_check.apply_async(args=[source.pk, "manual"], queue=queue).get(timeout=120)
    small_total = unblended(world, source)
    assert float(small_total) == pytest.approx(pc.sum(small["line_item_unblended_cost"]).as_py(), abs=1e-6)

    # 2) AWS restates the period with two big files; the worker is killed while loading them.
    big = parquet(full)
    exports_delivery_put(s3, files={"b1.parquet": big, "b2.parquet": big}, execution_id="exec-2", **put)
    with tenant_context(world.organization):
        sent = tasks.source_check.apply_async(args=[source.pk, "manual"], queue=queue)

    def loading() -> IngestionJob | None:
        with tenant_context(world.organization):
            return IngestionJob.objects.filter(source=source, status=JobStatus.RUNNING, bytes_done__gt=0).first()

    victim = wait_for("the restated delivery to be mid-load", loading)
    os.killpg(first_worker.pid, signal.SIGKILL)
    first_worker.wait(timeout=30)

    with tenant_context(world.organization):
        victim.refresh_from_db()
        assert victim.status == JobStatus.RUNNING  # nobody finished it
        assert Delivery.objects.filter(source=source).count() == 1  # only the small delivery's record
        assert CostLineItem.objects.filter(source=source).count() == 1000  # no partial rows of the big one
    assert unblended(world, source) == small_total

    # 3) acks_late: the task message is still unacknowledged in Redis, so it will be redelivered.
    assert restore_unacked_now() >= 1
    # The dead worker's database sessions (and their advisory locks) are gone before the redelivery.
    wait_for("the killed worker's PostgreSQL sessions to end", lambda: advisory_locks_held() == 0)

    dedicated_worker(queue)
    sent.get(timeout=180)

    with tenant_context(world.organization):
        victim.refresh_from_db()
        assert (victim.status, victim.error) == (JobStatus.FAILED, INTERRUPTED)
        redone = IngestionJob.objects.filter(source=source).latest("pk")
        assert redone.status == JobStatus.SUCCEEDED, redone.error
        assert redone.rows == 2 * full.num_rows
        assert CostLineItem.objects.filter(source=source).count() == 2 * full.num_rows
    expected = 2 * pc.sum(full["line_item_unblended_cost"]).as_py()
    assert float(unblended(world, source)) == pytest.approx(expected, rel=1e-12)
