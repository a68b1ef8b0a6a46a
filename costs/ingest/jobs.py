"""Ingestion jobs: create one, run a delivery under it, record how it went."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.ingest.errors import IngestError
from costs.models import CostSource, IngestionJob, JobStatus
from costs.signals import ingestion_succeeded

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
    job.started_at = timezone.now()
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
    try:
        summary = delivery_ingest(
            source=job.source, files=files, format=format, delivery_key=delivery_key or job.delivery_key, job=job
        )
    except IngestError as exc:
        _finish(job, status=JobStatus.FAILED, error=str(exc))
        return job
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


def _finish(job: IngestionJob, *, status: str, error: str) -> None:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
