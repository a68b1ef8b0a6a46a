"""API shapes of the monitoring app: anomalies, feedback, monitors, budgets and their status, alert subscriptions.

Money is a decimal string (exact); the stored root cause and chart series already hold strings.
Free text goes through the same single-line validator as the pages' forms (via the models).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costs.monitoring.charts import explorer_link
from costs.monitoring.models import (
    AlertSubscription,
    Anomaly,
    AnomalyFeedback,
    AnomalyStatus,
    Budget,
    Monitor,
    Severity,
    Verdict,
)
from costs.monitoring.selectors import ANOMALY_SORTS
from finops.validators import validate_single_line_text


def money(**options: Any) -> serializers.DecimalField:
    """A money amount as the models store it (2 places), sent as a decimal string."""
    return serializers.DecimalField(max_digits=20, decimal_places=2, **options)


class AnomalyFilterSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Query parameters of the anomaly list (unknown values are a 400 naming the parameter)."""

    status = serializers.ChoiceField(choices=AnomalyStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    monitor = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    since = serializers.DateField(required=False, help_text="Anomalies still going on this day or later.")
    until = serializers.DateField(required=False, help_text="Anomalies that started on this day or earlier.")
    ordering = serializers.ChoiceField(choices=list(ANOMALY_SORTS), required=False, default="impact")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until < since:
            raise serializers.ValidationError({"until": "until must not be before since."})
        return attrs


class AnomalySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    monitor_name = serializers.CharField(source="monitor.name", read_only=True)
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label (popped by the metaclass)
        read_only=True, help_text="The series: its value, or the monitor's name for a total."
    )
    suppressed = serializers.SerializerMethodField(help_text="Matched an 'expected' pattern, so nobody was alerted.")

    class Meta:
        model = Anomaly
        fields = [
            "id", "monitor", "monitor_name", "dimension_value", "label", "currency", "kind", "start_day",
            "end_day", "detected_day", "ongoing", "expected_amount", "actual_amount", "impact_amount",
            "impact_percent", "severity", "status", "suppressed", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_suppressed(self, anomaly: Anomaly) -> bool:
        return anomaly.suppressed_by_id is not None


class RootCauseRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    dimensions = serializers.DictField(
        child=serializers.CharField(),
        help_text="account, service, region, usage_type and, when one dominates, resource.",
    )
    baseline_daily = serializers.CharField(help_text="Decimal string: spend per day in the 14 days before.")
    anomaly_daily = serializers.CharField(help_text="Decimal string: spend per day during the anomaly.")
    delta_daily = serializers.CharField(help_text="Decimal string: the increase per day.")
    share = serializers.CharField(help_text="Decimal string: this row's share of the whole increase (0..1).")
    explorer_url = serializers.CharField(help_text="The cost explorer on this row's spend, by day.")


class DailyPointSerializer(serializers.Serializer):  # type: ignore[type-arg]
    day = serializers.DateField()
    actual = serializers.CharField(allow_null=True, help_text="Decimal string; null where the bill lacks the basis.")
    expected = serializers.CharField(allow_null=True, help_text="Decimal string: what the model expected.")
    in_anomaly = serializers.BooleanField()


class FeedbackSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = AnomalyFeedback
        fields = ["id", "verdict", "note", "created_at"]
        read_only_fields = fields


class AnomalyDetailSerializer(AnomalySerializer):
    root_cause = serializers.SerializerMethodField()
    daily = DailyPointSerializer(many=True, read_only=True, help_text="Actual and expected spend around the anomaly.")
    feedback = FeedbackSerializer(many=True, read_only=True)

    class Meta(AnomalySerializer.Meta):
        fields = [*AnomalySerializer.Meta.fields, "root_cause", "daily", "feedback"]
        read_only_fields = fields

    @extend_schema_field(RootCauseRowSerializer(many=True))
    def get_root_cause(self, anomaly: Anomaly) -> list[dict[str, Any]]:
        start, end = anomaly.start_day.isoformat(), anomaly.end_day.isoformat()
        basis = anomaly.monitor.cost_basis
        rows = [
            {**row, "explorer_url": explorer_link(row["dimensions"], start=start, end=end, basis=basis)}
            for row in anomaly.root_cause
        ]
        return RootCauseRowSerializer(rows, many=True).data  # type: ignore[return-value]


class FeedbackInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        help_text="true_anomaly: acknowledged. expected: resolved, and the same pattern stops alerting on this "
        "monitor. not_anomaly: resolved.",
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", validators=[validate_single_line_text]
    )


class FeedbackResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    feedback = FeedbackSerializer()
    anomaly = AnomalySerializer()


class MonitorSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    open_anomalies = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Monitor
        fields = [
            "id", "name", "dimension", "tag_key", "cost_basis", "usage_only", "min_impact_amount",
            "min_impact_percent", "is_muted", "open_anomalies", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "is_muted", "open_anomalies", "created_at"]
        extra_kwargs = {
            "min_impact_amount": {"min_value": Decimal(0)},
            "min_impact_percent": {"min_value": Decimal(0)},
        }


class ThresholdsField(serializers.ListField):  # type: ignore[type-arg]
    child = serializers.IntegerField(min_value=1, max_value=1000)

    def to_internal_value(self, data: Any) -> list[int]:
        return sorted(set(super().to_internal_value(data)))


class BudgetAlertSerializer(serializers.Serializer):  # type: ignore[type-arg]
    basis = serializers.CharField(help_text="actual or forecast")
    threshold = serializers.IntegerField(help_text="Percent of the amount.")
    amount = money(help_text="Actual to date or forecast when it was crossed.")
    created_at = serializers.DateTimeField()


class BudgetStatusSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = serializers.DateField(allow_null=True, help_text="First day of the month; null before any data.")
    through = serializers.DateField(allow_null=True, help_text="The last day with cost data.")
    actual = money(help_text="Spend this month to date in the budget's scope.")
    forecast = money(help_text="Month-end forecast.")
    forecast_low = money(allow_null=True)
    forecast_high = money(allow_null=True)
    actual_percent = serializers.DecimalField(max_digits=None, decimal_places=1)  # unbounded: a tiny budget
    forecast_percent = serializers.DecimalField(max_digits=None, decimal_places=1)
    alerts = BudgetAlertSerializer(many=True, help_text="Thresholds crossed this month (each alerts once).")


def budget_status_data(status: dict[str, Any], alerts: list[Any]) -> dict[str, Any]:
    forecast = status["forecast"]
    return {
        "month": forecast.month if forecast else None,
        "through": forecast.through if forecast else None,
        "actual": status["actual"],
        "forecast": status["projected"],
        "forecast_low": forecast.low if forecast else None,
        "forecast_high": forecast.high if forecast else None,
        "actual_percent": status["actual_percent"],
        "forecast_percent": status["forecast_percent"],
        "alerts": [alert for alert in alerts if forecast and alert.period == forecast.month],
    }


class BudgetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    actual_thresholds = ThresholdsField(required=False, help_text="Percentages of the amount (1..1000) on actual.")
    forecast_thresholds = ThresholdsField(required=False, help_text="Percentages of the amount on the forecast.")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Budget
        fields = [
            "id", "name", "scope", "scope_value", "tag_key", "amount", "currency", "cost_basis",
            "actual_thresholds", "forecast_thresholds", "status", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "created_at"]
        extra_kwargs = {"amount": {"min_value": Decimal("0.01"), "help_text": "Monthly amount (decimal string)."}}

    @extend_schema_field(BudgetStatusSerializer(allow_null=True))
    def get_status(self, budget: Budget) -> dict[str, Any] | None:
        status = self.context.get("statuses", {}).get(budget.pk)
        if status is None:
            return None
        return BudgetStatusSerializer(budget_status_data(status, list(budget.alerts.all()))).data  # type: ignore[return-value]


class SubscriptionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    slack_webhook_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="For the slack channel: an https:// webhook URL."
    )

    class Meta:
        model = AlertSubscription
        fields = [
            "id",
            "channel",
            "slack_webhook_url",
            "frequency",
            "min_severity",
            "anomalies",
            "budgets",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
