"""A source check: discover new deliveries in the customer's bucket, ingest them, fill gaps.

Runs in a worker (tasks.source_check). One check per source at a time: a claim in Redis
(set-if-absent, holding the Celery task id, expiring after the task time limit). Not a
PostgreSQL session lock: behind a transaction pooler (RDS Proxy, pgbouncer) the unlock can
reach a different server connection than the lock did. A task redelivered after its
worker was killed carries the same id, so it takes its own claim over instead of waiting.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from costs.ingest.delivery import DeliveryFile
from costs.ingest.jobs import job_create, job_execute
from costs.models import CostSource, Delivery, IngestionJob, JobStatus, JobTrigger, SourceKind
from costs.services.discovery import DeliveryCandidate, DiscoveryResult
from costs.services.estimates_gap_fill import CostExplorerQuotaExceeded, estimates_gap_fill, estimates_retire
from costs.services.job_liveness import DEAD_JOB_PREFIX, MAX_WORKER_LOSSES, poison_message
from costs.services.source_validation import SourceError, role_arn_validate
from costs.services.sources import (
    CheckOutcome,
    explain_assume_role_error,
    explain_s3_error,
    linked_account_names_refresh,
    source_check_record,
    source_check_with,
    source_credentials,
)
from finops.aws import AwsCallError, Credentials
from finops.aws import s3 as aws_s3

log = logging.getLogger(__name__)

INTERRUPTED = (
    "Interrupted: the worker stopped before this job finished. Nothing of it was kept; the next check retries it."
)


def _open_binary(path: Path) -> BinaryIO:
    return path.open("rb")


def _claim_key(source: CostSource) -> str:
    # The cache key function adds the organization's schema.
    return f"source-check:{source.pk}"


@contextmanager
def source_check_lock(source: CostSource, *, task_id: str = "") -> Iterator[bool]:
    """True when this check now owns the source; the claim spans transactions and ends with the block."""
    key = _claim_key(source)
    owner = task_id or f"local:{uuid.uuid4().hex}"
    expires = settings.CELERY_TASK_TIME_LIMIT + 60
    acquired = cache.add(key, owner, expires) or (bool(task_id) and cache.get(key) == task_id)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == owner:
            cache.delete(key)


def jobs_interrupted_fail(*, source: CostSource) -> int:
    """Jobs of this source left queued/running by a dead worker; only call while holding the source lock."""
    return IngestionJob.objects.filter(
        source=source,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        trigger__in=[JobTrigger.SCHEDULE, JobTrigger.MANUAL],
    ).update(status=JobStatus.FAILED, error=INTERRUPTED, finished_at=timezone.now())


def delivery_lost_too_often(*, source: CostSource, delivery_key: str, before: int) -> bool:
    """The last MAX_WORKER_LOSSES jobs of this delivery all died with their worker (a poison delivery).

    Each check makes a new job for a delivery it has not ingested, so for S3 deliveries the
    losses are counted over the delivery's jobs rather than one job's task starts.
    """
    if not delivery_key:
        return False
    last = list(
        IngestionJob.objects.filter(source=source, delivery_key=delivery_key, pk__lt=before)
        .order_by("-pk")
        .values_list("error", flat=True)[:MAX_WORKER_LOSSES]
    )
    lost = [error for error in last if error == INTERRUPTED or error.startswith(DEAD_JOB_PREFIX)]
    return len(lost) == MAX_WORKER_LOSSES


def delivery_fetch_and_ingest(
    *, source: CostSource, credentials: Credentials, candidate: DeliveryCandidate, trigger: str, task_id: str = ""
) -> IngestionJob:
    """Download the delivery's files to a temporary directory (streaming), then ingest them as one delivery."""
    job = job_create(source=source, trigger=trigger, files=candidate.keys)
    IngestionJob.objects.filter(pk=job.pk).update(
        bytes_total=candidate.bytes_total, delivery_key=candidate.delivery_key, celery_task_id=task_id
    )
    if delivery_lost_too_often(source=source, delivery_key=candidate.delivery_key, before=job.pk):
        now = timezone.now()
        IngestionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=poison_message(job), started_at=now, finished_at=now
        )
        job.refresh_from_db()
        return job
    with tempfile.TemporaryDirectory(prefix="finops-delivery-") as tmp:
        files: list[DeliveryFile] = []
        for index, key in enumerate(candidate.keys):
            path = Path(tmp) / f"{index:05d}-{key.rsplit('/', 1)[-1]}"
            try:
                with path.open("wb") as out:
                    size = aws_s3.download(
                        credentials=credentials, bucket=source.bucket, key=key, dest=out, region=source.region
                    )
            except AwsCallError as error:
                message = f"Could not download s3://{source.bucket}/{key}: " + explain_s3_error(
                    source=source, error=error, reading=key
                )
                IngestionJob.objects.filter(pk=job.pk).update(
                    status=JobStatus.FAILED, error=message, started_at=timezone.now(), finished_at=timezone.now()
                )
                job.refresh_from_db()
                return job
            files.append(DeliveryFile(name=key, open=partial(_open_binary, path), size=size))
        return job_execute(job=job, files=files, format=candidate.format, delivery_key=candidate.delivery_key)


def source_check_run(*, source: CostSource, trigger: str = JobTrigger.SCHEDULE, task_id: str = "") -> CheckOutcome:
    """Check one source: discovery, ingestion of new deliveries, account names, Cost Explorer until the first bill."""
    if source.kind != SourceKind.AWS_S3:
        return CheckOutcome(ok=True, message="Nothing to check for this kind of source.")
    with source_check_lock(source, task_id=task_id) as acquired:
        if not acquired:
            return CheckOutcome(ok=True, message="A check of this source is already running.")
        jobs_interrupted_fail(source=source)
        try:
            role_arn_validate(source.role_arn)
            credentials = source_credentials(source=source)
        except SourceError as error:
            outcome = CheckOutcome(ok=False, message=str(error))
        except AwsCallError as error:
            outcome = CheckOutcome(ok=False, message=explain_assume_role_error(source=source, error=error))
        else:
            outcome = _run(source=source, credentials=credentials, trigger=trigger, task_id=task_id)
        source_check_record(source=source, ok=outcome.ok, message=outcome.message)
        return outcome


def _run(*, source: CostSource, credentials: Credentials, trigger: str, task_id: str) -> CheckOutcome:
    outcome = source_check_with(source=source, credentials=credentials)
    notes = [outcome.message]
    ok = outcome.ok
    failed: list[str] = []
    for candidate in outcome.discovery.ready if outcome.discovery else []:
        job = delivery_fetch_and_ingest(
            source=source, credentials=credentials, candidate=candidate, trigger=trigger, task_id=task_id
        )
        if job.status != JobStatus.SUCCEEDED:
            failed.append(f"{candidate.billing_period:%Y-%m} (job {job.pk}: {job.error})")
        summary = getattr(job, "summary", None)
        if summary is not None and summary.replaced:
            notes.append("The export " + "; ".join(summary.replaced) + ".")
    if failed:
        ok = False
        notes.append("Failed deliveries: " + "; ".join(failed) + ".")
    linked_account_names_refresh(source=source, credentials=credentials)
    if Delivery.objects.filter(source=source).exists():
        retired = estimates_retire(source=source)
        if retired:
            notes.append(retired)
    else:
        notes.append(
            _estimates_note(
                source=source, credentials=credentials, discovery=outcome.discovery, failed_now=bool(failed)
            )
        )
    return CheckOutcome(ok=ok, message=" ".join(notes), discovery=outcome.discovery)


def _no_report_reason(*, source: CostSource, discovery: DiscoveryResult | None, failed_now: bool) -> str:
    """Why no report is ingested yet, in words: one failed (and why), one is being written, none came."""
    if failed_now:
        return "No report is ingested yet because the delivery above failed."
    last = IngestionJob.objects.filter(source=source, status=JobStatus.FAILED).first()
    if last is not None:
        period = last.delivery_key.split("/", 1)[0] if "/" in last.delivery_key else "its period"
        return f"No report is ingested yet: the last delivery ({period}, job {last.pk}) failed: {last.error}"
    if discovery is not None and discovery.incomplete:
        return "No report is ingested yet: the first one is still being written."
    return "No report has arrived yet."


def _estimates_note(
    *, source: CostSource, credentials: Credentials, discovery: DiscoveryResult | None, failed_now: bool
) -> str:
    """Fill the gap with Cost Explorer estimates and say what happened, plainly."""
    reason = _no_report_reason(source=source, discovery=discovery, failed_now=failed_now)
    try:
        filled = estimates_gap_fill(source=source, credentials=credentials)
    except CostExplorerQuotaExceeded as error:
        return f"{reason} {error}"
    except AwsCallError as error:
        return f"{reason} Cost Explorer estimates are unavailable ({error.code}: {error.message})."
    if not filled.days:
        return f"{reason} Cost Explorer had no costs to estimate for those days either."
    return (
        f"{reason} Meanwhile Cost Explorer estimates stand in for {filled.days} "
        f"day{'s' if filled.days != 1 else ''}; they are marked as estimates and give way to the report."
    )
