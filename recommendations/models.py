"""Tenant-schema recommendations: what the detectors found, the evidence, the workflow, and the AI calls.

Savings figures are computed by the detectors (Decimal, NUMERIC columns) from the bill and the
pricing tables; the model only writes the rationale, risk, effort and steps around them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone


def money_field(**options: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=4, **options)


class Category(models.TextChoices):
    COMPUTE = "compute", "Compute"
    STORAGE = "storage", "Storage"
    NETWORK = "network", "Networking"
    DATABASE = "database", "Databases"
    COMMITMENTS = "commitments", "Commitments"
    LOGS = "logs", "Logs"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"
    SNOOZED = "snoozed", "Snoozed"


class Level(models.TextChoices):
    """Effort, priority and confidence share one three-step scale."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RationaleSource(models.TextChoices):
    NONE = "", "Not written yet"
    AI = "ai", "AI (Amazon Bedrock)"
    OFFLINE = "offline", "Template (not AI)"
    PLAIN = "plain", "Plain text (AI answer rejected)"


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    INGESTION = "ingestion", "After ingestion"
    MANUAL = "manual", "Manual"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for a batch inference job"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run was active)"


class RecommendationRun(models.Model):
    """One pass of the detectors and the rationale writer over the organization's bill."""

    trigger = models.CharField(max_length=20, choices=RunTrigger.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    provider = models.CharField(max_length=20, blank=True)
    service_tier = models.CharField(max_length=20, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    candidates = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    rationales_written = models.IntegerField(default=0)
    rationales_cached = models.IntegerField(default=0)
    rationales_pending = models.IntegerField(default=0)
    batch_job_arn = models.CharField(max_length=2048, blank=True)
    batch_job_keys = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.trigger}, {self.status})"


class Recommendation(models.Model):
    """One savings opportunity, identified by its detector and resource (`key`) across runs."""

    key = models.CharField(max_length=500, unique=True)
    detector = models.CharField(max_length=60)
    category = models.CharField(max_length=20, choices=Category.choices)
    title = models.CharField(max_length=300)
    account_id = models.CharField(max_length=128, blank=True)
    region = models.CharField(max_length=100, blank=True)
    resource_id = models.TextField(blank=True)
    resource_type = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=10, default="USD")
    monthly_cost = money_field(default=Decimal(0))
    monthly_savings = money_field(default=Decimal(0))
    savings_method = models.TextField(blank=True)
    confidence = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    confirm_with = models.TextField(blank=True)
    facts = models.JSONField(default=dict, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    evidence_fingerprint = models.CharField(max_length=64)

    effort = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    rationale = models.TextField(blank=True)
    risk = models.TextField(blank=True)
    steps = models.JSONField(default=list, blank=True)
    rationale_source = models.CharField(max_length=10, choices=RationaleSource.choices, blank=True, default="")
    rationale_model = models.CharField(max_length=200, blank=True)
    # The evidence fingerprint the rationale was written for; equal to `evidence_fingerprint` = cached.
    rationale_fingerprint = models.CharField(max_length=64, blank=True)
    rationale_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    status_reason = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # What the affected resources cost per month when the recommendation was marked done.
    baseline_monthly_cost = money_field(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    last_run = models.ForeignKey(RecommendationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-monthly_savings", "id"]
        indexes = [
            models.Index(fields=["is_active", "status"], name="reco_active_status"),
            models.Index(fields=["-monthly_savings"], name="reco_savings"),
        ]

    def __str__(self) -> str:
        return self.title

    def effective_status(self, today: datetime.date | None = None) -> str:
        """A snooze that has run out counts as open again."""
        today = today or timezone.now().date()
        if self.status == Status.SNOOZED and self.snoozed_until is not None and self.snoozed_until <= today:
            return Status.OPEN
        return self.status

    @property
    def status_label(self) -> str:
        return str(Status(self.effective_status()).label)


class EvidenceLine(models.Model):
    """One figure from the bill behind a recommendation (a resource's usage and cost over a period)."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="evidence")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=300)
    resource_id = models.TextField(blank=True)
    usage_type = models.CharField(max_length=300, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    quantity = models.DecimalField(max_digits=32, decimal_places=6, null=True, blank=True)
    unit = models.CharField(max_length=100, blank=True)
    effective_cost = money_field(default=Decimal(0))
    coverage = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class StatusChange(models.Model):
    """Who moved a recommendation from one status to another, when and why."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    # Users live in the public schema; the id and email are kept as they were (no cross-schema FK).
    user_id = models.BigIntegerField(null=True, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class AiCallStatus(models.TextChoices):
    OK = "ok", "OK"
    INVALID = "invalid", "Answer rejected"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Not sent"


class AiCallLog(models.Model):
    """One call to the model provider (Converse, CountTokens or a batch inference job)."""

    run = models.ForeignKey(RecommendationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    created_at = models.DateTimeField(default=timezone.now)
    provider = models.CharField(max_length=20)
    operation = models.CharField(max_length=40)
    model_id = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    service_tier = models.CharField(max_length=20, blank=True)
    output_format = models.CharField(max_length=20, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    # Retries botocore made inside this call (throttling, 5xx, timeouts) before it returned.
    retries = models.PositiveIntegerField(default=0)
    batch_size = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    estimated_cost = models.DecimalField(max_digits=16, decimal_places=8, default=Decimal(0))
    status = models.CharField(max_length=10, choices=AiCallStatus.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="reco_ailog_created")]

    def __str__(self) -> str:
        return f"{self.operation} {self.model_id} {self.status}"
