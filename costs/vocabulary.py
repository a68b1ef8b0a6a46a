"""The bill's words, defined once: cost bases, rollup dimensions, groupable dimensions, charge categories.

The rollup SQL (`costs.ingest.rollups`), the ingest summary, the canonical columns, the
selectors, the `cost_totals` command and the pages all read these; nothing else spells
them out. Values are the column names of line items and daily rollups; labels are what
pages show.
"""

from __future__ import annotations

from django.db import models


class CostBasis(models.TextChoices):
    """The amounts every line item and rollup carries (FOCUS names, plus CUR's unblended figures)."""

    BILLED = "billed_cost", "Billed"
    EFFECTIVE = "effective_cost", "Effective (amortized)"
    LIST = "list_cost", "List"
    CONTRACTED = "contracted_cost", "Contracted"
    UNBLENDED = "unblended_cost", "Unblended"
    NET_UNBLENDED = "net_unblended_cost", "Net unblended"


class Dimension(models.TextChoices):
    """What costs can be grouped and filtered by; values are summary-table columns (see SUMMARY_DIMENSIONS).

    Tag keys are dimensions too, spelled `tag:<key>` (see `TAG_PREFIX`); they are per organization.
    """

    SERVICE = "service_name", "Service"
    SERVICE_CATEGORY = "service_category", "Service category"
    PROVIDER = "provider_name", "Provider"
    BILLING_ACCOUNT = "billing_account_id", "Billing account"
    SUB_ACCOUNT = "sub_account_id", "Account"
    REGION = "region", "Region"
    CHARGE_CATEGORY = "charge_category", "Charge category"
    USAGE_TYPE = "usage_type", "Usage type / SKU"
    RESOURCE = "resource_id", "Resource"
    SOURCE = "source_id", "Source"


# `tag:team` groups or filters by the value of the resource tag `team`.
TAG_PREFIX = "tag:"
# The line-item expression behind each dimension (NULL becomes '' as in every summary table).
# Usage type is CUR's usage type, or the SKU where a bill has none (FOCUS exports of other clouds).
LINE_ITEM_EXPRESSIONS: dict[str, str] = {
    Dimension.SERVICE: "COALESCE(service_name, '')",
    Dimension.SERVICE_CATEGORY: "COALESCE(service_category, '')",
    Dimension.PROVIDER: "COALESCE(provider_name, '')",
    Dimension.BILLING_ACCOUNT: "billing_account_id",
    Dimension.SUB_ACCOUNT: "COALESCE(sub_account_id, '')",
    Dimension.REGION: "COALESCE(region_id, '')",
    Dimension.CHARGE_CATEGORY: "charge_category",
    Dimension.USAGE_TYPE: "COALESCE(NULLIF(x_usage_type, ''), sku_id, '')",
    Dimension.RESOURCE: "COALESCE(resource_id, '')",
    Dimension.SOURCE: "source_id",
}


class ChargeCategory(models.TextChoices):
    """FOCUS ChargeCategory: what kind of charge a line is (CUR line item types are mapped onto these)."""

    USAGE = "Usage", "Usage"
    PURCHASE = "Purchase", "Purchase"
    TAX = "Tax", "Tax"
    CREDIT = "Credit", "Credit"
    ADJUSTMENT = "Adjustment", "Adjustment"


# What a page or export shows for a basis an export does not carry (None in the selectors,
# NULL in rollups): never 0, which would read as a real total.
NOT_IN_EXPORT = "not in this export"

# Column names, in this order, wherever all the bases are summed or listed.
BASES: tuple[str, ...] = tuple(CostBasis.values)
# What `daily_costs` groups by: the daily rollup's own dimension columns.
GROUPABLE: tuple[str, ...] = (
    Dimension.SERVICE,
    Dimension.SUB_ACCOUNT,
    Dimension.BILLING_ACCOUNT,
    Dimension.REGION,
    Dimension.CHARGE_CATEGORY,
    Dimension.SOURCE,
)
# One daily rollup row per distinct value of these (the rollup SQL groups by them, in this order).
ROLLUP_DIMENSIONS: tuple[str, ...] = (
    "day",
    "source_id",
    "billing_period",
    "billing_account_id",
    "sub_account_id",
    "service_name",
    "region",
    "charge_category",
    "currency",
)
# The charge-category label of a period's overall total row (the figure to check against the invoice).
ALL_CATEGORIES = "All"
