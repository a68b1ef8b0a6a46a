"""Daily spend series for monitors and budgets, and the fine-grained spend behind an anomaly.

Series come from the daily rollups (one grouped query per dimension, whatever the number of
values), except per-tag series: rollups carry no tags yet, so those are one grouped query on
the line items of the requested days (one scan per tag key, not per value).

A day whose sum is NULL (a cost basis the source does not provide) stays None: never 0.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from costs.models import CostLineItem
from costs.selectors.daily import rollups_effective
from costs.vocabulary import BASES

# Monitor dimensions -> rollup column (None: the organization's total).
SERIES_DIMENSIONS: dict[str, str | None] = {"total": None, "service": "service_name", "account": "sub_account_id"}
USAGE = "Usage"

SeriesKey = tuple[str, str]  # (dimension value, currency)
Series = dict[datetime.date, Decimal | None]


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ValueError(f"unknown cost basis {basis!r}; choose one of {', '.join(BASES)}")


def daily_spend_series(
    *,
    dimension: str,
    start: datetime.date,
    end: datetime.date,
    basis: str = "billed_cost",
    usage_only: bool = True,
    tag_key: str = "",
    value: str | None = None,
) -> dict[SeriesKey, Series]:
    """Spend per day (start..end inclusive) for each value of `dimension` and currency.

    `dimension` is total, service, account or tag (with `tag_key`); `usage_only` keeps Usage
    charges only (no Tax, no RI/SP fees or purchases, no credits); `value` narrows to one value.
    """
    _check_basis(basis)
    if dimension == "tag":
        return _tag_series(tag_key=tag_key, start=start, end=end, basis=basis, usage_only=usage_only, value=value)
    if dimension not in SERIES_DIMENSIONS:
        raise ValueError(f"unknown monitor dimension {dimension!r}")
    column = SERIES_DIMENSIONS[dimension]
    rows = rollups_effective().filter(day__gte=start, day__lte=end)
    if usage_only:
        rows = rows.filter(charge_category=USAGE)
    if column and value is not None:
        rows = rows.filter(**{column: value})
    fields = ["day", "currency"] + ([column] if column else [])
    series: dict[SeriesKey, Series] = defaultdict(dict)
    for row in rows.values(*fields).annotate(amount=Sum(basis)).order_by(*fields):
        series[(row[column] if column else "", row["currency"])][row["day"]] = row["amount"]
    return dict(series)


def _periods(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Billing periods (first days of months) touching start..end: line items are indexed by period."""
    periods, month = [], start.replace(day=1)
    while month <= end:
        periods.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return periods


def _day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    utc = datetime.UTC
    first = datetime.datetime.combine(start, datetime.time(), tzinfo=utc)
    return first, datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=utc)


def _tag_series(
    *, tag_key: str, start: datetime.date, end: datetime.date, basis: str, usage_only: bool, value: str | None
) -> dict[SeriesKey, Series]:
    if not tag_key:
        raise ValueError("a tag monitor needs a tag key")
    first, after = _day_bounds(start, end)
    sql = f"""
        SELECT (charge_period_start AT TIME ZONE 'UTC')::date AS day, tags ->> %s AS value, billing_currency,
               SUM({basis})
        FROM costs_costlineitem
        WHERE billing_period = ANY(%s) AND charge_period_start >= %s AND charge_period_start < %s
          AND tags ? %s {"AND charge_category = %s" if usage_only else ""} {"AND tags ->> %s = %s" if value else ""}
        GROUP BY 1, 2, 3"""
    params: list[Any] = [tag_key, _periods(start, end), first, after, tag_key]
    if usage_only:
        params.append(USAGE)
    if value:
        params += [tag_key, value]
    series: dict[SeriesKey, Series] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for day, tag_value, currency, amount in cursor.fetchall():
            series[(tag_value or "", currency)][day] = amount
    return dict(series)


@dataclass(frozen=True)
class CombinationSpend:
    account: str
    service: str
    region: str
    usage_type: str
    resource: str
    baseline_total: Decimal
    anomaly_total: Decimal


def spend_by_combination(
    *,
    dimension: str,
    value: str,
    currency: str,
    baseline: tuple[datetime.date, datetime.date],
    window: tuple[datetime.date, datetime.date],
    basis: str = "billed_cost",
    usage_only: bool = True,
    tag_key: str = "",
) -> list[CombinationSpend]:
    """Spend of one monitored slice per account x service x region x usage type x resource, in two windows.

    Reads the line items of the billing periods the windows touch (an index range), once per
    anomaly, for its root cause.
    """
    _check_basis(basis)
    start, end = min(baseline[0], window[0]), max(baseline[1], window[1])
    first, after = _day_bounds(start, end)
    items = CostLineItem.objects.filter(
        billing_period__in=_periods(start, end),
        charge_period_start__gte=first,
        charge_period_start__lt=after,
        billing_currency=currency,
    )
    if usage_only:
        items = items.filter(charge_category=USAGE)
    if dimension == "service":
        items = items.filter(service_name=value) if value else items.filter(Q(service_name="") | Q(service_name=None))
    elif dimension == "account":
        items = (
            items.filter(sub_account_id=value) if value else items.filter(Q(sub_account_id="") | Q(sub_account_id=None))
        )
    elif dimension == "tag":
        items = items.filter(**{f"tags__{tag_key}": value})
    b_first, b_after = _day_bounds(*baseline)
    w_first, w_after = _day_bounds(*window)
    rows = items.values(
        "sub_account_id", "billing_account_id", "service_name", "region_id", "x_usage_type", "resource_id"
    ).annotate(
        before=Sum(basis, filter=Q(charge_period_start__gte=b_first, charge_period_start__lt=b_after)),
        during=Sum(basis, filter=Q(charge_period_start__gte=w_first, charge_period_start__lt=w_after)),
    )
    return [
        CombinationSpend(
            account=row["sub_account_id"] or row["billing_account_id"] or "",
            service=row["service_name"] or "",
            region=row["region_id"] or "",
            usage_type=row["x_usage_type"] or "",
            resource=row["resource_id"] or "",
            baseline_total=row["before"] or Decimal(0),
            anomaly_total=row["during"] or Decimal(0),
        )
        for row in rows
    ]


def latest_cost_day() -> datetime.date | None:
    """The newest day any bill (or estimate) covers; None before the first ingestion."""
    return rollups_effective().order_by("-day").values_list("day", flat=True).first()


TagSeriesKey = tuple[str, str, str, bool]  # (tag key, value, currency, is usage)


def tag_spend_series(
    *, tag_keys: list[str], start: datetime.date, end: datetime.date, basis: str = "billed_cost"
) -> dict[TagSeriesKey, Series]:
    """Spend per day for every value of several tag keys at once, split into usage and other charges.

    One pass over the line items of start..end whatever the number of keys and monitors (rollups
    carry no tags); callers add the two halves for all-charges series.
    """
    _check_basis(basis)
    if not tag_keys:
        return {}
    first, after = _day_bounds(start, end)
    sql = f"""
        SELECT (charge_period_start AT TIME ZONE 'UTC')::date, tag.key, tag.value, billing_currency,
               charge_category = %s, SUM({basis})
        FROM costs_costlineitem, jsonb_each_text(tags) AS tag
        WHERE billing_period = ANY(%s) AND charge_period_start >= %s AND charge_period_start < %s
          AND tags ?| %s AND tag.key = ANY(%s)
        GROUP BY 1, 2, 3, 4, 5"""
    series: dict[TagSeriesKey, Series] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, [USAGE, _periods(start, end), first, after, tag_keys, tag_keys])
        for day, key, value, currency, is_usage, amount in cursor.fetchall():
            series[(key, value or "", currency, bool(is_usage))][day] = amount
    return dict(series)
