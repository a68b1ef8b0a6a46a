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
    """What daily costs can be grouped by (rollup columns)."""

    SERVICE = "service_name", "Service"
    SUB_ACCOUNT = "sub_account_id", "Account"
    BILLING_ACCOUNT = "billing_account_id", "Billing account"
    REGION = "region", "Region"
    CHARGE_CATEGORY = "charge_category", "Charge category"
    SOURCE = "source_id", "Source"


class ChargeCategory(models.TextChoices):
    """FOCUS ChargeCategory: what kind of charge a line is (CUR line item types are mapped onto these)."""

    USAGE = "Usage", "Usage"
    PURCHASE = "Purchase", "Purchase"
    TAX = "Tax", "Tax"
    CREDIT = "Credit", "Credit"
    ADJUSTMENT = "Adjustment", "Adjustment"


# Column names, in this order, wherever all the bases are summed or listed.
BASES: tuple[str, ...] = tuple(CostBasis.values)
GROUPABLE: tuple[str, ...] = tuple(Dimension.values)
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
