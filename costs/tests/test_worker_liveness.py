"""Through real Celery worker processes: a file that kills its worker three times fails its job and
leaves the queue (issue 16 item 3); a job past the soft time limit says so in words (issue 14 item 10)."""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostLineItem, IngestionJob, JobStatus
from costs.services.uploads import upload_create
from costs.tests.test_worker_ingest import PARQUET, advisory_locks_held, wait_for
from finops.celery import app

pytestmark = [pytest.mark.worker]


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    """Uploads stored where this test and its workers both look."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def big_upload(world: Any, copies: int = 3) -> IngestionJob:
    """An upload that takes a worker several seconds to ingest (the workshop CUR, `copies` times over)."""
    table = pq.read_table(PARQUET)
    buffer = io.BytesIO()
    pq.write_table(pa.concat_tables([table] * copies), buffer)
    with tenant_context(world.organization):
        return upload_create(file=SimpleUploadedFile("big.parquet", buffer.getvalue()))


def job_now(world: Any, job: IngestionJob) -> IngestionJob:
    with tenant_context(world.organization):
        return IngestionJob.objects.get(pk=job.pk)


def restore_unacked_of(queue: str) -> None:
    """What the Redis transport does once the visibility timeout has passed, for `queue` only
    (messages of other tests' queues are left where they are)."""
    with app.connection_for_write() as conn:
        qos = conn.default_channel.qos
        for tag, raw in conn.default_channel.client.hgetall(qos.unacked_key).items():
            if json.loads(raw)[2] == queue:
                qos.restore_by_tag(tag)


def messages_for(queue: str) -> tuple[int, int]:
    """(waiting, unacknowledged) messages of `queue` (other tests may use the broker meanwhile)."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        unacked = client.hvals(conn.default_channel.qos.unacked_key)
        mine = sum(1 for raw in unacked if json.loads(raw)[2] == queue)  # [message, exchange, routing key]
        return int(client.llen(queue)), mine


def test_a_file_that_kills_the_worker_three_times_fails_its_job_and_the_task_is_acknowledged(
    committed_org: Any, dedicated_worker: Any, media: Path
) -> None:
    world = committed_org("poison")
    job = big_upload(world)
    queue = f"poison-{os.getpid()}"
    with tenant_context(world.organization):
        sent = tasks.upload_ingest.apply_async(args=[job.pk], queue=queue)

    for delivery in (1, 2, 3):
        worker = dedicated_worker(queue, MEDIA_ROOT=str(media))

        def reading(delivery: int = delivery) -> bool:
            now = job_now(world, job)
            return now.task_starts == delivery and now.status == JobStatus.RUNNING

        wait_for(f"delivery {delivery} to be reading the file", reading)
        os.killpg(worker.pid, signal.SIGKILL)  # what the kernel's OOM killer does, without the wait
        worker.wait(timeout=30)
        assert messages_for(queue) == (0, 1)  # late acknowledgement: the message is held, not lost
        restore_unacked_of(queue)
        assert messages_for(queue) == (1, 0)  # and comes back
        wait_for("the killed worker's PostgreSQL sessions to end", lambda: advisory_locks_held() == 0)

    dedicated_worker(queue, MEDIA_ROOT=str(media))
    assert sent.get(timeout=180) == {"job": job.pk, "status": JobStatus.FAILED, "rows": 0}

    failed = job_now(world, job)
    assert failed.status == JobStatus.FAILED
    assert failed.error == (
        "The worker stopped three times while reading big.parquet; "
        "the file is likely malformed or too large for one job."
    )
    assert failed.task_starts == 4
    with tenant_context(world.organization):
        assert not CostLineItem.objects.exists()
    # Acknowledged: nothing waits in the queue and nothing is left unacknowledged to come back.
    assert messages_for(queue) == (0, 0)


def test_a_job_past_the_soft_time_limit_fails_with_the_limit_and_what_to_do(
    committed_org: Any, dedicated_worker: Any, media: Path, client_for: Any
) -> None:
    world = committed_org("slowpoke")
    job = big_upload(world)
    queue = f"time-limit-{os.getpid()}"
    dedicated_worker(queue, MEDIA_ROOT=str(media))
    with tenant_context(world.organization):
        sent = tasks.upload_ingest.apply_async(args=[job.pk], queue=queue, soft_time_limit=1, time_limit=120)

    sent.get(timeout=120, propagate=False)

    failed = job_now(world, job)
    assert failed.status == JobStatus.FAILED
    assert failed.error == (
        "Stopped after the 1 second one job may take, while reading big.parquet. Nothing of it was kept: "
        "link the account so large bills come from S3, or split the file into smaller ones and upload each."
    )
    with tenant_context(world.organization):
        assert not CostLineItem.objects.exists()
    page = client_for(world.admin, world).get(f"/cloud-accounts/jobs/{job.pk}/")
    assert page.status_code == 200
    assert "Stopped after the 1 second one job may take" in page.content.decode()
