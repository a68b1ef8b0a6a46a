"""API shapes of recommendations: the list row, the detail (how the saving was computed, the evidence, the
rationale and the workflow), filters and status changes. Money is a decimal string, exactly as stored."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recommendations import selectors
from recommendations.models import Category, EvidenceLine, Level, Recommendation, Status, StatusChange
from recommendations.services.workflow import allowed_transitions

STATUS_FILTERS = ["active", *Status.values, "all"]
ORDERINGS = {"-savings": ("-monthly_savings", "id"), "savings": ("monthly_savings", "id")}


class RecommendationFilterSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Query parameters of the list (an unknown value is a 400 naming the parameter)."""

    category = serializers.ChoiceField(choices=Category.choices, required=False)
    account = serializers.CharField(max_length=128, required=False)
    status = serializers.ChoiceField(choices=STATUS_FILTERS, required=False, default="active")
    effort = serializers.ChoiceField(choices=Level.choices, required=False)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False, default="-savings")

    def filters(self) -> selectors.ListFilters:
        found = self.validated_data
        return selectors.ListFilters(
            category=found.get("category", ""),
            account=found.get("account", ""),
            status=found["status"],
            effort=found.get("effort", ""),
        )


def _today(serializer: serializers.Serializer) -> datetime.date:  # type: ignore[type-arg]
    return serializer.context.get("today") or timezone.now().date()  # type: ignore[no-any-return]


class RecommendationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    status = serializers.SerializerMethodField(help_text="A snooze that has run out counts as open.")

    class Meta:
        model = Recommendation
        fields = [
            "id", "detector", "category", "title", "account_id", "region", "resource_id", "resource_type",
            "currency", "monthly_cost", "monthly_savings", "confidence", "effort", "priority", "status",
            "snoozed_until", "is_active", "rationale_source", "first_seen_at", "last_seen_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, recommendation: Recommendation) -> str:
        return recommendation.effective_status(_today(self))


class EvidenceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    explorer_url = serializers.SerializerMethodField(help_text="The cost explorer on this figure, by day.")

    class Meta:
        model = EvidenceLine
        fields = [
            "label", "resource_id", "usage_type", "period_start", "period_end", "quantity", "unit",
            "effective_cost", "coverage", "explorer_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_explorer_url(self, line: EvidenceLine) -> str:
        return selectors.explorer_url(
            resource_id=line.resource_id, start=line.period_start, end=line.period_end, usage_type=line.usage_type
        )


class StatusChangeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "reason", "snoozed_until", "user_email", "changed_at"]
        read_only_fields = fields


class RealizedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    before = serializers.DecimalField(
        max_digits=24, decimal_places=4, allow_null=True, help_text="Monthly cost when marked done."
    )
    after = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True, help_text="Monthly cost since.")
    realized = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)
    days_after = serializers.IntegerField()
    note = serializers.CharField()


class RecommendationDetailSerializer(RecommendationSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)
    history = StatusChangeSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(help_text="The statuses it may move to now.")
    realized = serializers.SerializerMethodField(help_text="For a done recommendation: what it saved since.")

    class Meta(RecommendationSerializer.Meta):
        fields = [
            *RecommendationSerializer.Meta.fields, "savings_method", "confirm_with", "facts", "window_start",
            "window_end", "rationale", "risk", "steps", "rationale_model", "rationale_at", "status_reason",
            "status_changed_at", "done_at", "baseline_monthly_cost", "evidence", "history", "allowed_transitions",
            "realized",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Status.choices)))
    def get_allowed_transitions(self, recommendation: Recommendation) -> list[str]:
        return [value for value, _label in allowed_transitions(recommendation, today=_today(self))]

    @extend_schema_field(RealizedSerializer(allow_null=True))
    def get_realized(self, recommendation: Recommendation) -> dict[str, Any] | None:
        realized = selectors.realized_savings(recommendations=[recommendation]).get(recommendation.pk)
        return None if realized is None else RealizedSerializer(realized).data  # type: ignore[return-value]


class StatusInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    to_status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required to dismiss."
    )
    snoozed_until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Required to snooze: a day after today, within a year."
    )
