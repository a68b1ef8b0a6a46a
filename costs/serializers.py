"""The API's shapes of the bill: cost sources, ingestion jobs, totals, breakdowns and line items.

Money is a decimal string, exact (never a float), and null for a cost basis the export does
not carry ("not in this export").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costs.models import CostSource, IngestionJob
from costs.vocabulary import BASES

MONEY_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "nullable": True,
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": "Exact decimal amount as a string; null when the export does not carry this cost basis.",
    "example": "1234.5600",
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):  # type: ignore[type-arg]
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal | None) -> str | None:
        return None if value is None else format(value, "f")


class CostSourceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = CostSource
        fields = [
            "id",
            "name",
            "kind",
            "format",
            "provider",
            "role_arn",
            "bucket",
            "prefix",
            "export_name",
            "region",
            "payer_account_id",
            "is_active",
            "last_checked_at",
            "last_check_ok",
            "last_check_message",
            "created_at",
        ]
        read_only_fields = fields


class CheckOutcomeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField(help_text="Whether the role could be assumed and the export read.")
    message = serializers.CharField(help_text="What was found, or what to fix.")


class RunQueuedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    source = serializers.IntegerField(help_text="The source whose check was queued.")  # type: ignore[assignment]
    queued = serializers.BooleanField()
    message = serializers.CharField()


class IngestionJobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    progress = serializers.FloatField(read_only=True, help_text="0..1, display only.")

    class Meta:
        model = IngestionJob
        fields = [
            "id",
            "source",
            "status",
            "trigger",
            "format",
            "billing_periods",
            "rows",
            "bytes_total",
            "bytes_done",
            "progress",
            "error",
            "notes",
            "warnings",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


def _basis_fields() -> dict[str, MoneyField]:
    return {
        basis: MoneyField(help_text=f"Sum of {basis}; null when an export in the range lacks it.") for basis in BASES
    }


CurrencyTotalsSerializer = type(
    "CurrencyTotalsSerializer",
    (serializers.Serializer,),
    {
        "currency": serializers.CharField(
            help_text="ISO currency of the bill; amounts are never summed across currencies."
        ),
        "rows": serializers.IntegerField(help_text="Line items summed."),
        **_basis_fields(),
        "__doc__": "Every cost basis summed for one currency.",
    },
)


class CostSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    start = serializers.DateField(help_text="First charge day (UTC), inclusive.")
    end = serializers.DateField(help_text="Last charge day (UTC), inclusive.")
    currencies = CurrencyTotalsSerializer(many=True)


class BreakdownQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.CharField()
    group_by = serializers.CharField(allow_null=True)
    basis = serializers.CharField()
    filters = serializers.ListField(child=serializers.DictField(), help_text="{dimension, values, exclude}")
    parameters = serializers.CharField(help_text="This question in the explorer's URL format.")


class BreakdownRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    group = serializers.CharField(allow_null=True, help_text="The group-by value ('' = none); null for Other.")
    currency = serializers.CharField()
    amounts = serializers.ListField(child=MoneyField(), help_text="One per bucket.")
    total = MoneyField()
    folded = serializers.IntegerField(help_text="For Other: how many groups it holds.")


class CostBreakdownSerializer(serializers.Serializer):  # type: ignore[type-arg]
    query = BreakdownQuerySerializer()
    buckets = serializers.ListField(child=serializers.DateField(), help_text="First day of each time bucket.")
    rows = BreakdownRowSerializer(many=True)
    bucket_totals = serializers.DictField(
        child=serializers.ListField(child=MoneyField()), help_text="currency -> one total per bucket"
    )
    totals = serializers.DictField(child=MoneyField(), help_text="currency -> the whole range")
    read_from = serializers.CharField(help_text="Which summary table answered.")


class LineItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    day = serializers.DateField()
    billing_period = serializers.DateField()
    billing_account_id = serializers.CharField()
    sub_account_id = serializers.CharField()
    provider_name = serializers.CharField()
    service_name = serializers.CharField()
    region = serializers.CharField()
    resource_id = serializers.CharField()
    usage_type = serializers.CharField()
    charge_category = serializers.CharField()
    charge_description = serializers.CharField()
    pricing_quantity = MoneyField(help_text="Quantity (decimal string), null when absent.")
    pricing_unit = serializers.CharField()
    currency = serializers.CharField()
    cost = MoneyField(help_text="In the question's basis; null where the bill lacks it.")


class LineItemPageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    results = LineItemSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as cursor for the next page; null at the end.")
    next = serializers.CharField(allow_null=True, help_text="The next page's URL; null at the end.")
