"""Monitoring (tenant schema): monitors, runs, anomalies and feedback, budgets, alert subscriptions and deliveries.

Money is NUMERIC with its currency. Users live in the shared schema; rows here keep their ids.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from finops.validators import validate_single_line_text


def user_id_field(**options: Any) -> models.BigIntegerField:
    """A user's id, without a foreign key: users live in the shared schema, and a key from every
    organization's schema to them would make deleting or truncating users reach into (or fail on)
    tables that only exist in organization schemas. Alerts go only to current members (checked
    when sending), so a departed user's rows are inert."""
    return models.BigIntegerField(**options)


def money_field(**options: object) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=2, **options)  # type: ignore[arg-type]


class CostBasis(models.TextChoices):
    BILLED = "billed_cost", "Billed"
    EFFECTIVE = "effective_cost", "Effective (amortized)"
    UNBLENDED = "unblended_cost", "Unblended"


class MonitorDimension(models.TextChoices):
    TOTAL = "total", "Total spend"
    SERVICE = "service", "Each service"
    ACCOUNT = "account", "Each linked account"
    TAG = "tag", "Each value of a tag"


class Monitor(models.Model):
    """What to watch: the total, or one series per service, account or tag value."""

    name = models.CharField(max_length=120, validators=[validate_single_line_text])
    dimension = models.CharField(max_length=20, choices=MonitorDimension.choices)
    tag_key = models.CharField(max_length=255, blank=True, validators=[validate_single_line_text])
    cost_basis = models.CharField(max_length=30, choices=CostBasis.choices, default=CostBasis.BILLED)
    # Tax, RI/SP fees and purchases (and credits) are not usage: left out unless asked for.
    usage_only = models.BooleanField(default=True)
    min_impact_amount = money_field(default=Decimal("25.00"))
    min_impact_percent = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("30.00"))
    is_muted = models.BooleanField(default=False)
    created_by_id = user_id_field(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class MonitoringRun(models.Model):
    trigger = models.CharField(max_length=20)  # ingestion, manual, schedule
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    series = models.IntegerField(default=0)
    anomalies_new = models.IntegerField(default=0)
    anomalies_updated = models.IntegerField(default=0)
    through = models.DateField(null=True, blank=True)  # last day with data
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class AnomalyStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class AnomalyKind(models.TextChoices):
    SPIKE = "spike", "Spike"
    SUSTAINED = "sustained", "Sustained increase"
    CHANGE = "change", "Lasting change"


class Anomaly(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="anomalies")
    dimension_value = models.TextField(blank=True)  # "" for the total
    currency = models.CharField(max_length=10)
    kind = models.CharField(max_length=20, choices=AnomalyKind.choices)
    start_day = models.DateField()
    end_day = models.DateField()
    detected_day = models.DateField()
    ongoing = models.BooleanField(default=False)
    expected_amount = money_field()
    actual_amount = money_field()
    impact_amount = money_field()
    impact_percent = models.DecimalField(max_digits=10, decimal_places=1)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN)
    root_cause_done = models.BooleanField(default=False)
    root_cause = models.JSONField(
        default=list, blank=True
    )  # [{dimensions, baseline_daily, anomaly_daily, delta_daily, share}]
    daily = models.JSONField(default=list, blank=True)  # [{day, actual, expected}] around the anomaly, for the chart
    suppressed_by = models.ForeignKey("Suppression", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_day", "-impact_amount", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "dimension_value", "currency", "start_day"], name="monitoring_anomaly_unique_start"
            )
        ]
        indexes = [models.Index(fields=["status", "-impact_amount"], name="monitoring_anomaly_status")]

    def __str__(self) -> str:
        return f"{self.monitor} {self.dimension_value} {self.start_day}"

    @property
    def label(self) -> str:
        return self.dimension_value or self.monitor.name


class Verdict(models.TextChoices):
    TRUE_ANOMALY = "true_anomaly", "True anomaly"
    EXPECTED = "expected", "Expected"
    NOT_ANOMALY = "not_anomaly", "Not an anomaly"


class AnomalyFeedback(models.Model):
    anomaly = models.ForeignKey(Anomaly, on_delete=models.CASCADE, related_name="feedback")
    user_id = user_id_field(null=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    note = models.CharField(max_length=500, blank=True, validators=[validate_single_line_text])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.verdict} on {self.anomaly_id}"


class Suppression(models.Model):
    """An "expected" pattern: the same series and top contributor, no bigger than this, does not alert."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="suppressions")
    dimension_value = models.TextField(blank=True)
    contributor = models.JSONField(default=dict, blank=True)  # dimensions of the top root cause ({} = any)
    max_impact_percent = models.DecimalField(max_digits=10, decimal_places=1)
    source = models.ForeignKey(Anomaly, null=True, on_delete=models.SET_NULL, related_name="+")
    created_by_id = user_id_field(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"expected pattern on {self.monitor_id} {self.dimension_value}"


class BudgetScope(models.TextChoices):
    ALL = "total", "All spend"
    SERVICE = "service", "One service"
    ACCOUNT = "account", "One linked account"
    TAG = "tag", "One tag value"


class Budget(models.Model):
    name = models.CharField(max_length=120, validators=[validate_single_line_text])
    scope = models.CharField(max_length=20, choices=BudgetScope.choices, default=BudgetScope.ALL)
    scope_value = models.CharField(max_length=255, blank=True, validators=[validate_single_line_text])
    tag_key = models.CharField(max_length=255, blank=True, validators=[validate_single_line_text])
    amount = money_field()
    currency = models.CharField(max_length=10, default="USD")
    cost_basis = models.CharField(max_length=30, choices=CostBasis.choices, default=CostBasis.BILLED)
    actual_thresholds = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)  # percent
    forecast_thresholds = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    created_by_id = user_id_field(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ThresholdBasis(models.TextChoices):
    ACTUAL = "actual", "Actual"
    FORECAST = "forecast", "Forecast"


class BudgetAlert(models.Model):
    """A threshold crossed in one month: the unique constraint makes it alert once per period."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    period = models.DateField()  # first day of the month
    basis = models.CharField(max_length=10, choices=ThresholdBasis.choices)
    threshold = models.PositiveSmallIntegerField()
    amount = money_field()  # actual to date or forecast when crossed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period", "basis", "threshold"], name="monitoring_budget_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.basis} {self.threshold}% {self.period:%Y-%m}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack (incoming webhook)"


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "As they happen"
    DAILY = "daily", "Daily digest"


class AlertSubscription(models.Model):
    user_id = user_id_field(db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    slack_webhook_url = models.URLField(max_length=500, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    anomalies = models.BooleanField(default=True)
    budgets = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.channel} for {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # gave up after the last attempt


class AlertDelivery(models.Model):
    """One message to one subscription; retried until sent or out of attempts, never blocking detection."""

    subscription = models.ForeignKey(AlertSubscription, on_delete=models.CASCADE, related_name="deliveries")
    anomaly = models.ForeignKey(Anomaly, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    budget_alert = models.ForeignKey(BudgetAlert, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    digest_day = models.DateField(null=True, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "anomaly"], name="monitoring_delivery_anomaly_once"),
            models.UniqueConstraint(fields=["subscription", "budget_alert"], name="monitoring_delivery_budget_once"),
            models.UniqueConstraint(fields=["subscription", "digest_day"], name="monitoring_delivery_digest_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="monitoring_delivery_due")]

    def __str__(self) -> str:
        return f"{self.subject} ({self.status})"
