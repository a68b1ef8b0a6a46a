"""The summary tables beside the daily rollup (tenant schema): what the explorer's questions read.

Each answers questions the rollup cannot (services alone, usage type, tags, resources) and is rebuilt
for the replaced periods in the delivery's own transaction (costs.ingest.rollups, costs.ingest.summaries).
Imported by costs.models, so `costs.models` names them too. In the usage, tag and resource tables a
basis is NULL where a line behind the row lacks it ("not in this export"), never 0; the daily services
follow the rollups' rule (NULL where no line of the export carries it).
"""

from __future__ import annotations

from django.db import models

from costs.fields import quantity_field, summary_money_field


def summary_source() -> models.ForeignKey:  # type: ignore[type-arg]
    """The source of an explorer summary's row: no database FK check (nor an index of its own: the
    (source, billing period) index serves). A month's ~130,000 summary rows cost ~0.4 s of deferred
    checks at commit; the delivery's rollups keep theirs, so a delivery whose source was deleted
    meanwhile still fails whole at commit. Deleting a source deletes the rows (Django's cascade)."""
    return models.ForeignKey(
        "costs.CostSource", on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )


class DailyServiceCost(models.Model):
    """Bill cost per day, service, charge category and currency: the daily rollups without sub
    account and region, built from them in the same transaction (costs.ingest.rollups). The
    questions asked most (spend by service, the 90-day chart) read ~20x fewer rows here."""

    day = models.DateField()
    source = models.ForeignKey("costs.CostSource", on_delete=models.CASCADE, related_name="+")
    billing_period = models.DateField()
    billing_account_id = models.CharField(max_length=128)
    service_name = models.TextField(blank=True, default="")
    charge_category = models.CharField(max_length=50)
    currency = models.CharField(max_length=10)
    billed_cost = summary_money_field()
    effective_cost = summary_money_field()
    list_cost = summary_money_field()
    contracted_cost = summary_money_field()
    unblended_cost = summary_money_field()
    net_unblended_cost = summary_money_field()
    row_count = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="costs_service_day"),
            models.Index(fields=["source", "billing_period"], name="costs_service_source_period"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service_name} {self.billed_cost} {self.currency}"


class DailyUsageCost(models.Model):
    """Cost and quantity per day, usage type (or SKU) and unit, with every rollup dimension plus provider and category."""

    day = models.DateField()
    source = summary_source()
    billing_period = models.DateField()
    billing_account_id = models.CharField(max_length=128)
    sub_account_id = models.CharField(max_length=128, blank=True, default="")
    provider_name = models.CharField(max_length=100, blank=True, default="")
    service_category = models.CharField(max_length=100, blank=True, default="")
    service_name = models.TextField(blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    charge_category = models.CharField(max_length=50)
    currency = models.CharField(max_length=10)
    usage_type = models.TextField(blank=True, default="")
    pricing_unit = models.TextField(blank=True, default="")
    billed_cost = summary_money_field()
    effective_cost = summary_money_field()
    list_cost = summary_money_field()
    contracted_cost = summary_money_field()
    unblended_cost = summary_money_field()
    net_unblended_cost = summary_money_field()
    pricing_quantity = quantity_field(null=True)
    row_count = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="costs_usage_day"),
            models.Index(fields=["source", "billing_period"], name="costs_usage_source_period"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.usage_type} {self.billed_cost} {self.currency}"


class DailyTagCost(models.Model):
    """Cost per day, tag key and value (one row per key a line carries; lines without a key are the
    rest of the day's total, which the selectors take from the rollups)."""

    day = models.DateField()
    source = summary_source()
    billing_period = models.DateField()
    tag_key = models.TextField()
    tag_value = models.TextField()
    billing_account_id = models.CharField(max_length=128)
    sub_account_id = models.CharField(max_length=128, blank=True, default="")
    provider_name = models.CharField(max_length=100, blank=True, default="")
    service_category = models.CharField(max_length=100, blank=True, default="")
    service_name = models.TextField(blank=True, default="")
    charge_category = models.CharField(max_length=50)
    currency = models.CharField(max_length=10)
    billed_cost = summary_money_field()
    effective_cost = summary_money_field()
    list_cost = summary_money_field()
    contracted_cost = summary_money_field()
    unblended_cost = summary_money_field()
    net_unblended_cost = summary_money_field()
    row_count = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tag_key", "day"], name="costs_tag_key_day"),
            models.Index(fields=["source", "billing_period"], name="costs_tag_source_period"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.tag_key}={self.tag_value} {self.billed_cost} {self.currency}"


class MonthlyResourceCost(models.Model):
    """Cost and quantity per calendar month of charge, resource, usage type and line item type, with
    every dimension and the resource's tags: resource-level questions over whole months, drill-down
    and the per-period reconciliation read it."""

    month = models.DateField()  # first day of the month the charges fall in
    source = summary_source()
    billing_period = models.DateField()
    billing_account_id = models.CharField(max_length=128)
    sub_account_id = models.CharField(max_length=128, blank=True, default="")
    provider_name = models.CharField(max_length=100, blank=True, default="")
    service_category = models.CharField(max_length=100, blank=True, default="")
    service_name = models.TextField(blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    charge_category = models.CharField(max_length=50)
    line_item_type = models.CharField(max_length=100, blank=True, default="")
    currency = models.CharField(max_length=10)
    usage_type = models.TextField(blank=True, default="")
    pricing_unit = models.TextField(blank=True, default="")
    resource_id = models.TextField(blank=True, default="")
    tags = models.JSONField(null=True)
    billed_cost = summary_money_field()
    effective_cost = summary_money_field()
    list_cost = summary_money_field()
    contracted_cost = summary_money_field()
    unblended_cost = summary_money_field()
    net_unblended_cost = summary_money_field()
    pricing_quantity = quantity_field(null=True)
    row_count = models.BigIntegerField(default=0)
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="costs_resource_month"),
            models.Index(fields=["source", "billing_period"], name="costs_resource_source_period"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.resource_id} {self.billed_cost} {self.currency}"
