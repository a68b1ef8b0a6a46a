"""The tables a cost breakdown can read, smallest first, and the choice among them (`plan`).

See `costs.selectors.breakdown` for the order and why every path gives the same figures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

from costs.selectors.query import CostQuery, Granularity, month_end, month_start, tag_key_of
from costs.vocabulary import LINE_ITEM_EXPRESSIONS, Dimension


@dataclass(frozen=True)
class SummarySource:
    """A table the breakdown can read, and the dimensions it holds."""

    label: str
    table: str
    time: str  # SQL of the day (or month) a row belongs to
    grain: Granularity
    columns: dict[str, str]  # dimension -> SQL expression
    tags: str | None = None  # SQL of the tags JSON, when the table keeps every tag
    where: str = "TRUE"


_ROLLUP_COLUMNS: dict[str, str] = {
    Dimension.SERVICE: "service_name",
    Dimension.SUB_ACCOUNT: "sub_account_id",
    Dimension.BILLING_ACCOUNT: "billing_account_id",
    Dimension.REGION: "region",
    Dimension.CHARGE_CATEGORY: "charge_category",
    Dimension.SOURCE: "source_id::text",
}
_ORGANIZATION_COLUMNS: dict[str, str] = {
    Dimension.PROVIDER: "provider_name",
    Dimension.SERVICE_CATEGORY: "service_category",
}
SERVICES = SummarySource(
    "daily services",
    "costs_dailyservicecost",
    "day",
    Granularity.DAY,
    {
        dimension: _ROLLUP_COLUMNS[dimension]
        for dimension in (Dimension.SERVICE, Dimension.BILLING_ACCOUNT, Dimension.CHARGE_CATEGORY, Dimension.SOURCE)
    },
)
ROLLUP = SummarySource(
    "daily rollup", "costs_dailycostrollup", "day", Granularity.DAY, _ROLLUP_COLUMNS, where="NOT is_estimate"
)
USAGE = SummarySource(
    "daily usage",
    "costs_dailyusagecost",
    "day",
    Granularity.DAY,
    _ROLLUP_COLUMNS | _ORGANIZATION_COLUMNS | {Dimension.USAGE_TYPE: "usage_type"},
)
TAGS = SummarySource(
    "daily tags",
    "costs_dailytagcost",
    "day",
    Granularity.DAY,
    {k: v for k, v in (_ROLLUP_COLUMNS | _ORGANIZATION_COLUMNS).items() if k != Dimension.REGION},
)
RESOURCES = SummarySource(
    "monthly resources",
    "costs_monthlyresourcecost",
    "month",
    Granularity.MONTH,
    USAGE.columns | {Dimension.RESOURCE: "resource_id"},
    tags="tags",
)
LINES = SummarySource(
    "line items",
    "costs_costlineitem",
    "(charge_period_start AT TIME ZONE 'UTC')::date",
    Granularity.DAY,
    {**LINE_ITEM_EXPRESSIONS, Dimension.SOURCE: "source_id::text"},
    tags="tags",
)


def plan(query: CostQuery) -> SummarySource:
    """The smallest table that can answer the question exactly."""
    dimensions = query.dimensions
    tag_keys = {key for key in map(tag_key_of, dimensions) if key is not None}
    plain = {d for d in dimensions if tag_key_of(d) is None}
    if not tag_keys:
        for source in (SERVICES, ROLLUP, USAGE):
            if plain <= set(source.columns):
                return source
    elif len(tag_keys) == 1 and plain <= set(TAGS.columns):
        return TAGS
    if query.granularity == Granularity.MONTH and months_whole(query.start, query.end):
        return RESOURCES
    return LINES


def months_whole(start: datetime.date, end: datetime.date) -> bool:
    """Whether [start, end] covers whole months of the bill (a month in progress counts as whole
    when no bill line lies after `end` in it)."""
    if start != month_start(start):
        return False
    if end == month_end(end):
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM costs_dailycostrollup WHERE NOT is_estimate AND day > %s AND day <= %s)",
            [end, month_end(end)],
        )
        later = cursor.fetchone()[0]
    return not later
