"""Browser uploads for trials without AWS: store the file, queue its ingestion on the Uploads source.

Files go through Django's default storage, whose keys are already prefixed with the
organization's schema (finops/storage.py), under uploads/. The worker reads them back from
the same storage, so this works with local disk in development and S3 in production.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename

from costs.ingest.delivery import DeliveryFile
from costs.ingest.jobs import job_create, job_execute
from costs.models import CostSource, IngestionJob, JobStatus, JobTrigger, ReportFormat
from costs.services.job_liveness import job_poison_fail_if_lost_too_often
from finops.aws import s3
from finops.storage import tenant_prefix

ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".snappy.parquet", ".gz.parquet")
# Settings may override it; browser uploads are for trials, real volumes come from S3.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class UploadError(Exception):
    """A file we will not accept; the message names the file and the reason."""


def upload_max_bytes() -> int:
    return int(getattr(settings, "COST_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_validate(*, name: str, size: int | None) -> None:
    """Raise UploadError for a file name or size we do not accept (checked before anything is stored)."""
    lowered = name.lower()
    if not lowered.endswith(ALLOWED_SUFFIXES):
        raise UploadError(f"{name}: only .csv, .csv.gz and .parquet files (CUR or FOCUS) can be uploaded.")
    limit = upload_max_bytes()
    if size is not None and size > limit:
        raise UploadError(
            f"{name}: {size / 1024 / 1024:.1f} MB is larger than the {limit // 1024 // 1024} MB upload limit. "
            "Link your AWS account to ingest larger bills straight from S3."
        )
    if size == 0:
        raise UploadError(f"{name}: the file is empty.")


@transaction.atomic
def upload_create(*, file: UploadedFile, format: str = ReportFormat.AUTO) -> IngestionJob:
    """Store the upload and create its queued job (which records `format`); the caller queues tasks.upload_ingest on commit."""
    name = file.name or "upload"
    upload_validate(name=name, size=file.size)
    stored = default_storage.save(f"uploads/{uuid.uuid4().hex}/{get_valid_filename(name)}", file)
    job = job_create(source=CostSource.objects.uploads(), trigger=JobTrigger.UPLOAD, files=[stored])
    job.bytes_total = file.size or 0
    job.format = format
    job.save(update_fields=["bytes_total", "format"])
    return job


def direct_upload_enabled() -> bool:
    """Uploads go straight from the browser to S3 when files live in S3 (production)."""
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""))


def _uploads_prefix() -> str:
    # The storage's own prefix for this organization (from the connection's schema, never the request).
    return f"{tenant_prefix()}/uploads/"


def direct_upload_presign() -> s3.PresignedPost:
    """A presigned POST for one upload under this organization's uploads/<random>/ prefix (S3 enforces the size)."""
    return s3.upload_post_presign(
        bucket=settings.AWS_STORAGE_BUCKET_NAME,
        key_prefix=f"{_uploads_prefix()}{uuid.uuid4().hex}/",
        max_bytes=upload_max_bytes(),
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
    )


@transaction.atomic
def direct_upload_create(*, key: str, format: str = ReportFormat.AUTO) -> IngestionJob:
    """Create the queued job for a file the browser posted to S3; raises UploadError for a key we will not take.

    The key comes from the browser, so nothing about it is trusted: it must lie under this
    organization's uploads/<random>/ prefix (no `..`, no other organization's prefix), name a
    file we accept, and exist with a size within the limit (S3 enforced it already; an object
    that slipped past is deleted here).
    """
    prefix = _uploads_prefix()
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    folder, _, name = rest.partition("/")
    if not rest or not folder or not name or "/" in name or ".." in rest or name != get_valid_filename(name):
        raise UploadError("This upload does not belong to this organization: upload the file again.")
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    found = s3.object_head(bucket=bucket, key=key, endpoint_url=settings.AWS_S3_ENDPOINT_URL)
    if found is None:
        raise UploadError(f"{name}: the upload did not reach storage; upload the file again.")
    try:
        upload_validate(name=name, size=found.size)
    except UploadError:
        s3.object_delete(bucket=bucket, key=key, endpoint_url=settings.AWS_S3_ENDPOINT_URL)
        raise
    stored = key[len(tenant_prefix()) + 1 :]  # storage names are relative to the organization's prefix
    if IngestionJob.objects.filter(files=[stored]).exists():
        raise UploadError(f"{name}: this upload was already received.")
    job = job_create(source=CostSource.objects.uploads(), trigger=JobTrigger.UPLOAD, files=[stored])
    job.bytes_total = found.size
    job.format = format
    job.save(update_fields=["bytes_total", "format"])
    return job


def _opener(name: str) -> Any:
    return lambda: default_storage.open(name, "rb")


def upload_ingest_run(*, job: IngestionJob, format: str | None = None) -> IngestionJob:
    """Ingest a stored upload in the format recorded on the job (idempotent: a succeeded job is left alone).

    `format` only counts for jobs created before the job recorded it (their tasks carried it).
    """
    if job.status == JobStatus.SUCCEEDED:
        return job
    # A task whose worker died is delivered again; a file that kills every worker stops here.
    if job_poison_fail_if_lost_too_often(job=job):
        return job
    format = job.format or format or ReportFormat.AUTO
    files = [
        DeliveryFile(name=name.rsplit("/", 1)[-1], open=_opener(name), size=default_storage.size(name))
        for name in job.files
    ]
    return job_execute(job=job, files=files, format=format, delivery_key=f"upload:{job.pk}")
