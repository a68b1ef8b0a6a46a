"""Explorer models (tenant schema): FOCUS exports of a billing period, and saved views."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from finops.validators import validate_single_line_text


def user_id_field(**options: Any) -> models.BigIntegerField:
    """A user's id, without a foreign key: users live in the shared schema, and a key from every
    organization's schema to them would make deleting users reach into organization schemas
    (the same choice as costs.monitoring, which this app may not import)."""
    return models.BigIntegerField(**options)


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    CSV_GZ = "csv.gz", "CSV, gzip-compressed"
    PARQUET = "parquet", "Parquet"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"


class FocusExport(models.Model):
    """One FOCUS 1.2 file of one billing period, written by a worker (costs.explorer.tasks)."""

    billing_period = models.DateField()  # first day of the month, as on the line items
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    status = models.CharField(max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    # 0..1 for the progress bar: line items written / line items of the period at the start.
    progress = models.FloatField(default=0.0)
    rows_total = models.BigIntegerField(default=0)
    rows = models.BigIntegerField(default=0)
    # The download's name (built by us from the period, format and id, never from input) and its storage key.
    file_name = models.CharField(max_length=200, blank=True)
    file_key = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by_id = user_id_field(null=True, blank=True)
    celery_task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"FOCUS export {self.pk} {self.billing_period:%Y-%m} {self.format} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


class SavedView(models.Model):
    """A named explorer question, shared within the organization.

    `query` is the explorer's query string (format in `costs.explorer`), stored as
    `CostQuery.to_querystring()` after `cost_query_parse` accepted it, so it opens as saved.
    """

    name = models.CharField(max_length=200, validators=[validate_single_line_text])
    query = models.TextField()
    created_by_id = user_id_field(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="explorer_savedview_name_unique")]

    def __str__(self) -> str:
        return self.name
