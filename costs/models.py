"""Tenant-schema cost data: where bills come from, ingestion jobs, canonical FOCUS lines, daily rollups.

Money is NUMERIC everywhere (never float). Line items follow FOCUS 1.2 column names in
snake_case; AWS-only figures carry an `x_` prefix as FOCUS extensions do.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

from costs.fields import money_field, quantity_field


class SourceKind(models.TextChoices):
    AWS_S3 = "aws_s3", "AWS data export in S3"
    UPLOAD = "upload", "Uploaded files"
    COST_EXPLORER = "cost_explorer", "AWS Cost Explorer (estimates)"


class ReportFormat(models.TextChoices):
    AUTO = "auto", "Detect automatically"
    CUR2 = "cur2", "CUR 2.0"
    CUR_LEGACY = "cur_legacy", "Legacy CUR"
    FOCUS = "focus", "FOCUS"


class CostSourceManager(models.Manager["CostSource"]):
    def uploads(self) -> CostSource:
        """The one source that hand-uploaded files belong to (created on first use)."""
        source, _ = self.get_or_create(
            kind=SourceKind.UPLOAD, name="Uploads", defaults={"format": ReportFormat.AUTO, "provider": "AWS"}
        )
        return source


class CostSource(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    format = models.CharField(max_length=20, choices=ReportFormat.choices, default=ReportFormat.AUTO)
    provider = models.CharField(max_length=50, default="AWS")
    role_arn = models.CharField(max_length=300, blank=True)
    bucket = models.CharField(max_length=255, blank=True)
    prefix = models.CharField(max_length=1024, blank=True)
    export_name = models.CharField(max_length=255, blank=True)
    # The bucket's AWS region, found at the first check ("" until then, or when S3 would not say).
    region = models.CharField(max_length=32, blank=True)
    payer_account_id = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True, blank=True)
    last_check_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CostSourceManager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class JobTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"
    UPLOAD = "upload", "Upload"
    CLI = "cli", "Command line"
    DEMO = "demo", "Demo data"


class IngestionJob(models.Model):
    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=JobTrigger.choices)
    files = models.JSONField(default=list, blank=True)
    # The report format chosen for this job (uploads: the form's choice), so a retried or
    # re-queued job keeps it. Blank on jobs created before the field existed.
    format = models.CharField(max_length=20, choices=ReportFormat.choices, default=ReportFormat.AUTO, blank=True)
    billing_periods = models.JSONField(default=list, blank=True)
    rows = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    # Accepted, but said about the data: null tokens read as empty, formats detected (sentences).
    notes = models.JSONField(default=list, blank=True)
    # Accepted, but worth a look: [{"file", "row", "column", "value", "message"}] (implausible amounts).
    warnings = models.JSONField(default=list, blank=True)
    delivery_key = models.CharField(max_length=255, blank=True)
    celery_task_id = models.CharField(max_length=255, blank=True)
    # Times a worker started this job's task. Tasks are acknowledged late and redelivered when
    # their worker dies, so a file that kills the worker would come back forever; the count stops it.
    task_starts = models.PositiveIntegerField(default=0)
    # Written every few seconds while a worker runs the job; a running job whose heartbeat
    # stopped belongs to a dead worker (costs.services.job_liveness).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source", "-created_at"], name="costs_job_source_created")]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def progress(self) -> float:
        """0..1 for a progress bar; display only (bytes of compressed input read so far)."""
        if self.status == JobStatus.SUCCEEDED:
            return 1.0
        if not self.bytes_total:
            return 0.0
        return max(0.0, min(1.0, self.bytes_done / self.bytes_total))


class Delivery(models.Model):
    """One billing period of one source as last ingested; discovery skips keys already here."""

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="deliveries")
    billing_period = models.DateField()
    delivery_key = models.CharField(max_length=255, blank=True)
    job = models.ForeignKey(IngestionJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    rows = models.BigIntegerField(default=0)
    ingested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-billing_period", "-ingested_at"]
        indexes = [models.Index(fields=["source", "delivery_key"], name="costs_delivery_source_key")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.billing_period:%Y-%m} {self.delivery_key}"


class LinkedAccount(models.Model):
    provider = models.CharField(max_length=50)
    account_id = models.CharField(max_length=128)
    name = models.CharField(max_length=255, blank=True)
    source = models.ForeignKey(CostSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts")
    first_seen = models.DateField(null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "account_id"]
        constraints = [models.UniqueConstraint(fields=["provider", "account_id"], name="costs_linked_account_unique")]

    def __str__(self) -> str:
        return f"{self.provider} {self.account_id}"


class CostLineItem(models.Model):
    """One FOCUS 1.2 charge row. Written only by COPY in costs.ingest.loader (column order there),
    into one partition per (billing period, source, load): costs.ingest.partitions. The database's
    primary key is (id, source, billing period, load); ids are unique, from one identity sequence."""

    # No DB-level FK checks: COPY writes millions of rows and the loader owns consistency.
    # Deleting a source empties and drops its partitions (costs.apps), instead of a cascade DELETE that
    # would look through every partition. No index on either foreign key: the table is partitioned by
    # (billing period, source, load) (costs.ingest.partitions; migration 0012), and nothing looks line
    # items up by job.
    source = models.ForeignKey(
        CostSource, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    billing_period = models.DateField()
    # Which ingest wrote the row; the replacement deletes the period's rows of other loads.
    load_id = models.BigIntegerField()
    job = models.ForeignKey(
        IngestionJob,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    billing_period_start = models.DateTimeField()
    billing_period_end = models.DateTimeField(null=True)
    charge_period_start = models.DateTimeField()
    charge_period_end = models.DateTimeField(null=True)

    billing_account_id = models.CharField(max_length=128)
    billing_account_name = models.TextField(null=True)
    sub_account_id = models.CharField(max_length=128, null=True)
    sub_account_name = models.TextField(null=True)
    provider_name = models.CharField(max_length=100)
    publisher_name = models.TextField(null=True)
    invoice_issuer_name = models.TextField(null=True)

    service_name = models.TextField(null=True)
    service_category = models.CharField(max_length=100, null=True)
    region_id = models.CharField(max_length=100, null=True)
    region_name = models.TextField(null=True)
    availability_zone = models.CharField(max_length=100, null=True)
    resource_id = models.TextField(null=True)
    resource_name = models.TextField(null=True)
    resource_type = models.TextField(null=True)
    sku_id = models.TextField(null=True)
    sku_price_id = models.TextField(null=True)
    x_usage_type = models.TextField(null=True)
    x_operation = models.TextField(null=True)
    x_line_item_type = models.CharField(max_length=100, null=True)
    charge_description = models.TextField(null=True)

    charge_category = models.CharField(max_length=50)
    charge_class = models.CharField(max_length=50, null=True)
    charge_frequency = models.CharField(max_length=50, null=True)
    pricing_category = models.CharField(max_length=50, null=True)
    pricing_quantity = quantity_field(null=True)
    pricing_unit = models.TextField(null=True)
    consumed_quantity = quantity_field(null=True)
    consumed_unit = models.TextField(null=True)
    list_unit_price = quantity_field(null=True)
    contracted_unit_price = quantity_field(null=True)

    commitment_discount_id = models.TextField(null=True)
    commitment_discount_type = models.CharField(max_length=100, null=True)
    commitment_discount_category = models.CharField(max_length=50, null=True)
    commitment_discount_status = models.CharField(max_length=50, null=True)

    tags = models.JSONField(null=True)
    billing_currency = models.CharField(max_length=10)

    billed_cost = money_field()
    effective_cost = money_field(null=True)
    list_cost = money_field(null=True)
    contracted_cost = money_field(null=True)
    unblended_cost = money_field(null=True)
    net_unblended_cost = money_field(null=True)

    class Meta:
        indexes = [
            # Drill-down (costs.selectors.lines): a day or week of line items, and the most
            # expensive lines first (walked in cost order until a page of matches is found).
            models.Index(fields=["charge_period_start"], name="costs_line_charge_start"),
            # Root cause (costs.selectors.series.spend_by_resource): one service x usage type over
            # a few weeks is a narrow range of this index, not every line item of those days.
            models.Index(
                fields=["service_name", "x_usage_type", "charge_period_start"], name="costs_line_svc_usage_start"
            ),
            models.Index(
                models.OrderBy(models.F("billed_cost"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                name="costs_line_billed_cost_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_period_start:%Y-%m-%d} {self.service_name} {self.billed_cost} {self.billing_currency}"


class DailyCostRollup(models.Model):
    """Sum of line items per day and dimension set; what pages and the API read."""

    day = models.DateField()
    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    billing_period = models.DateField()
    billing_account_id = models.CharField(max_length=128)
    sub_account_id = models.CharField(max_length=128, blank=True, default="")
    service_name = models.TextField(blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    charge_category = models.CharField(max_length=50)
    currency = models.CharField(max_length=10)
    billed_cost = money_field(default=0)
    # NULL: the export does not carry this basis ("not in this export"), which is not 0.
    effective_cost = money_field(null=True, default=0)
    list_cost = money_field(null=True, default=0)
    contracted_cost = money_field(null=True, default=0)
    unblended_cost = money_field(null=True, default=0)
    net_unblended_cost = money_field(null=True, default=0)
    row_count = models.BigIntegerField(default=0)
    is_estimate = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="costs_rollup_day"),
            models.Index(fields=["source", "billing_period"], name="costs_rollup_source_period"),
            # The few Cost Explorer estimate rows, found without reading the bill's (home dashboard).
            models.Index(fields=["day"], name="costs_rollup_estimate_day", condition=models.Q(is_estimate=True)),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service_name} {self.billed_cost} {self.currency}"


# The summary tables beside the daily rollup live in costs/summary_models.py (imported here so
# `costs.models` still names every model of the app).
from costs.summary_models import (  # noqa: E402
    DailyServiceCost,
    DailyTagCost,
    DailyUsageCost,
    MonthlyResourceCost,
)

__all__ = [
    "CostLineItem",
    "CostSource",
    "CostSourceManager",
    "DailyCostRollup",
    "DailyServiceCost",
    "DailyTagCost",
    "DailyUsageCost",
    "Delivery",
    "IngestionJob",
    "JobStatus",
    "JobTrigger",
    "LinkedAccount",
    "MonthlyResourceCost",
    "ReportFormat",
    "SourceKind",
    "money_field",
    "quantity_field",
]
