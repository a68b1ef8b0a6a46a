"""Dead jobs and poison deliveries (issue 14 item 10, issue 16 item 3), in-process on real PostgreSQL.

The real-worker halves (SIGKILLed three times; the soft time limit) are in test_worker_liveness.py.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from costs import tasks
from costs.ingest.progress import Heartbeat
from costs.models import CostLineItem, CostSource, IngestionJob, JobStatus, JobTrigger
from costs.services.checks import INTERRUPTED, source_check_run
from costs.services.discovery import deliveries_discover
from costs.services.sources import source_credentials
from costs.tests.test_discovery import put_legacy, sample, world  # noqa: F401 - fixtures
from costs.tests.test_ingest_support import enter
from costs.tests.test_worker_ingest import wait_for
from finops.queues import Queue

UPLOAD_DEAD = (
    "The worker stopped while reading bill.csv: no sign of life for 5 minutes (it was restarted or ran out "
    "of memory). Nothing of it was kept. Upload the file again; if it stops again, the file is too large for "
    "one job: link the account so large bills come from S3, or split the file."
)


def running_job(*, heartbeat_ago: datetime.timedelta | None, name: str = "uploads/0f3a/bill.csv") -> IngestionJob:
    now = timezone.now()
    return IngestionJob.objects.create(
        source=CostSource.objects.uploads(),
        trigger=JobTrigger.UPLOAD,
        files=[name],
        status=JobStatus.RUNNING,
        started_at=now - datetime.timedelta(minutes=30),
        heartbeat_at=None if heartbeat_ago is None else now - heartbeat_ago,
        bytes_total=1000,
        bytes_done=400,
        rows=5000,  # progress it reported before it stopped
    )


def test_running_jobs_whose_heartbeat_stopped_are_failed_and_the_job_page_says_why(
    org_a: Any, org_b: Any, client_for: Any
) -> None:
    enter(org_a)
    dead = running_job(heartbeat_ago=datetime.timedelta(minutes=6))
    never_beat = running_job(heartbeat_ago=None, name="uploads/77/old.csv")
    alive = running_job(heartbeat_ago=datetime.timedelta(seconds=20))
    enter(org_b)
    elsewhere = running_job(heartbeat_ago=datetime.timedelta(hours=2))
    connection.set_schema_to_public()  # type: ignore[attr-defined]

    assert tasks.jobs_dead_fail_all_organizations() == 3  # as beat runs it: from the public schema

    with tenant_context(org_a.organization):
        dead.refresh_from_db()
        assert (dead.status, dead.error) == (JobStatus.FAILED, UPLOAD_DEAD)
        assert dead.finished_at is not None
        assert dead.rows == 0  # nothing of it was kept
        never_beat.refresh_from_db()
        assert never_beat.status == JobStatus.FAILED
        assert never_beat.error.startswith("The worker stopped while reading old.csv: no sign of life for 5 minutes")
        alive.refresh_from_db()
        assert (alive.status, alive.error, alive.rows) == (JobStatus.RUNNING, "", 5000)
    with tenant_context(org_b.organization):
        elsewhere.refresh_from_db()
        assert elsewhere.status == JobStatus.FAILED

    page = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/jobs/{dead.pk}/")
    assert page.status_code == 200
    assert "no sign of life for 5 minutes" in page.content.decode()
    progress = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/jobs/{dead.pk}/progress.json").json()
    assert (progress["status"], progress["error"], progress["active"]) == ("failed", UPLOAD_DEAD, False)
    assert client_for(org_b.owner, org_a).get(f"/cloud-accounts/jobs/{dead.pk}/").status_code == 404


def test_the_stale_limit_is_a_setting(org_a: Any, settings: Any) -> None:
    settings.INGEST_HEARTBEAT_STALE_SECONDS = 3600
    enter(org_a)
    job = running_job(heartbeat_ago=datetime.timedelta(minutes=30))
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    assert tasks.jobs_dead_fail_all_organizations() == 0
    settings.INGEST_HEARTBEAT_STALE_SECONDS = 600
    assert tasks.jobs_dead_fail_all_organizations() == 1
    with tenant_context(org_a.organization):
        job.refresh_from_db()
        assert "no sign of life for 10 minutes" in job.error


def test_beat_runs_the_dead_job_check_every_minute_on_the_default_queue() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["costs-fail-dead-jobs"]
    assert entry["task"] == tasks.jobs_dead_fail_all_organizations.name
    assert entry["options"]["queue"] == Queue.DEFAULT.value
    assert entry["schedule"] < settings.INGEST_HEARTBEAT_STALE_SECONDS


def test_a_running_job_stamps_its_heartbeat_from_its_own_connection(committed_org: Any) -> None:
    beating = committed_org("beating")
    with tenant_context(beating.organization):
        job = running_job(heartbeat_ago=datetime.timedelta(hours=1))
        before = job.heartbeat_at
        assert before is not None
        with Heartbeat(job.pk, interval=0.05):

            def stamped() -> bool:
                job.refresh_from_db()
                return bool(job.heartbeat_at and job.heartbeat_at > before)

            wait_for("a heartbeat", stamped, seconds=30)


def test_an_s3_delivery_whose_worker_died_three_times_is_failed_not_read_again(world: Any, sample: Any) -> None:  # noqa: F811
    s3, source = world
    body, _, _ = sample
    put_legacy(s3, body, "asm-1")
    (candidate,) = deliveries_discover(source=source, credentials=source_credentials(source=source)).ready
    for _ in range(3):
        IngestionJob.objects.create(
            source=source,
            trigger=JobTrigger.SCHEDULE,
            files=candidate.keys,
            delivery_key=candidate.delivery_key,
            status=JobStatus.FAILED,
            error=INTERRUPTED,
        )

    outcome = source_check_run(source=source)

    assert not outcome.ok
    job = IngestionJob.objects.filter(source=source).latest("pk")
    assert (job.status, job.error) == (
        JobStatus.FAILED,
        "The worker stopped three times while reading daily-00001.csv.gz; "
        "the file is likely malformed or too large for one job.",
    )
    assert job.error in outcome.message
    assert not CostLineItem.objects.filter(source=source).exists()


def test_an_s3_delivery_lost_only_twice_is_read_again(world: Any, sample: Any) -> None:  # noqa: F811
    s3, source = world
    body, _, rows = sample
    put_legacy(s3, body, "asm-1")
    (candidate,) = deliveries_discover(source=source, credentials=source_credentials(source=source)).ready
    for error in (INTERRUPTED, "some.csv: row 2, column X: has a non-numeric value 'x'", INTERRUPTED, INTERRUPTED):
        IngestionJob.objects.create(
            source=source,
            trigger=JobTrigger.SCHEDULE,
            files=candidate.keys,
            delivery_key=candidate.delivery_key,
            status=JobStatus.FAILED,
            error=error,
        )

    assert source_check_run(source=source).ok
    job = IngestionJob.objects.filter(source=source).latest("pk")
    assert (job.status, job.rows) == (JobStatus.SUCCEEDED, rows)
