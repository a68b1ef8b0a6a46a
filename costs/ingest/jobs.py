"""Ingestion jobs: create one, run a delivery under it, record how it went."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.utils import timezone

from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.ingest.errors import IngestError
from costs.ingest.progress import Heartbeat
from costs.models import CostSource, IngestionJob, JobStatus, SourceKind
from costs.signals import ingestion_succeeded
from finops.celery import soft_time_limit_seconds

logger = logging.getLogger(__name__)


def job_create(*, source: CostSource, trigger: str, files: list[str]) -> IngestionJob:
    """A queued job for these files (names only; the bytes come with job_execute)."""
    return IngestionJob.objects.create(source=source, trigger=trigger, files=list(files), status=JobStatus.QUEUED)


def job_execute(
    *, job: IngestionJob, files: Sequence[DeliveryFile], format: str = "auto", delivery_key: str = ""
) -> IngestionJob:
    """Run the delivery and record the outcome on the job.

    Bad input (IngestError) is recorded as a failed job and not raised; anything unexpected
    is recorded and re-raised so the worker logs it with its traceback.
    """
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = timezone.now()
    job.finished_at = None
    job.error = ""
    job.notes = []
    job.warnings = []
    job.rows = 0
    job.bytes_done = 0
    job.bytes_total = sum(f.size or 0 for f in files)
    if delivery_key:
        job.delivery_key = delivery_key
    if not job.files:
        job.files = [f.name for f in files]
    job.save()
    # Inside a caller's transaction the job row is invisible to the heartbeat's own connection.
    beating = None if connection.in_atomic_block else job.pk
    try:
        with Heartbeat(beating):
            summary = delivery_ingest(
                source=job.source, files=files, format=format, delivery_key=delivery_key or job.delivery_key, job=job
            )
    except IngestError as exc:
        _finish(job, status=JobStatus.FAILED, error=str(exc))
        return job
    except SoftTimeLimitExceeded:
        # The limit may have interrupted a query: start from a fresh connection to record it.
        if not connection.in_atomic_block:
            connection.close()
        _finish(job, status=JobStatus.FAILED, error=time_limit_message(job, files))
        raise
    except Exception as exc:
        _finish(job, status=JobStatus.FAILED, error=f"internal error: {type(exc).__name__}: {exc}")
        raise
    job.rows = summary.rows
    job.bytes_done = summary.bytes
    job.bytes_total = max(job.bytes_total, summary.bytes)
    job.billing_periods = summary.billing_periods
    job.delivery_key = summary.delivery_key
    job.notes = summary.notes + summary.replaced
    job.warnings = summary.warnings
    _finish(job, status=JobStatus.SUCCEEDED, error="")
    periods = list(summary.billing_periods)
    transaction.on_commit(lambda: ingestion_succeeded.send(sender=IngestionJob, job_id=job.pk, billing_periods=periods))
    job.summary = summary  # type: ignore[attr-defined]  # handy for callers (CLI prints it)
    return job


def time_limit_message(job: IngestionJob, files: Sequence[DeliveryFile]) -> str:
    """What a user reads when the job ran past the task's soft time limit: the limit, and what to do."""
    names = ", ".join(f.name.rsplit("/", 1)[-1] for f in files)
    limit = soft_time_limit_seconds()
    took = f"{limit // 60} minutes" if limit >= 120 else f"{limit} second{'s' if limit != 1 else ''}"
    if job.source.kind == SourceKind.UPLOAD:
        then = "link the account so large bills come from S3, or split the file into smaller ones and upload each."
    else:
        then = "the delivery is too large for one job; contact support to have the time limit raised."
    return f"Stopped after the {took} one job may take, while reading {names}. Nothing of it was kept: {then}"


def _finish(job: IngestionJob, *, status: str, error: str) -> None:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
