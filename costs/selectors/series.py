"""Daily spend series for monitors and budgets, and the finer spend behind an anomaly (its root cause).

Series come from the daily rollups (total, service, account) and the daily tag summary (tag
values): one grouped query per monitor, whatever the number of values; never line items.
Root cause reads the daily usage summary (account x service x region x usage type); only the
resource split of its top rows, and a tag slice's breakdown, read line items, for the days of
one anomaly.

A day whose sum is NULL (a cost basis the source does not provide) stays None: never 0.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from costs.models import CostLineItem, DailyTagCost, DailyUsageCost
from costs.selectors.daily import effective_sums, rollups_effective
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
        merged: dict[SeriesKey, Series] = defaultdict(dict)
        for (_key, tag_value, currency, is_usage), days in tag_spend_series(
            tag_keys=[tag_key], start=start, end=end, basis=basis
        ).items():
            if (usage_only and not is_usage) or (value is not None and tag_value != value):
                continue
            target = merged[(tag_value, currency)]
            for day, amount in days.items():
                if day in target:
                    previous = target[day]
                    target[day] = None if previous is None or amount is None else previous + amount
                else:
                    target[day] = amount
        return dict(merged)
    if dimension not in SERIES_DIMENSIONS:
        raise ValueError(f"unknown monitor dimension {dimension!r}")
    column = SERIES_DIMENSIONS[dimension]
    filters: dict[str, Any] = {"charge_category": USAGE} if usage_only else {}
    if column and value is not None:
        filters[column] = value
    fields = ["day", "currency"] + ([column] if column else [])
    series: dict[SeriesKey, Series] = defaultdict(dict)
    sums = effective_sums(start=start, end=end, fields=fields, basis=basis, filters=filters)
    for key in sorted(sums):
        day, currency = key[0], key[1]
        series[(key[2] if column else "", currency)][day] = sums[key]
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
    """Spend of one monitored slice per account x service x region x usage type, in two windows.

    From the daily usage summary; a tag slice has no such summary (tags and usage types are
    summarised apart), so it reads the line items of the windows' days (once per anomaly).
    Resources are not in daily summaries: `spend_by_resource` splits one combination.
    """
    _check_basis(basis)
    start, end = min(baseline[0], window[0]), max(baseline[1], window[1])
    if dimension == "tag":
        return _tag_slice_by_combination(tag_key, value, currency, baseline, window, basis, usage_only)
    rows = DailyUsageCost.objects.filter(day__gte=start, day__lte=end, currency=currency)
    if usage_only:
        rows = rows.filter(charge_category=USAGE)
    column = SERIES_DIMENSIONS.get(dimension)
    if column:
        rows = rows.filter(**{column: value})
    grouped = rows.values("sub_account_id", "billing_account_id", "service_name", "region", "usage_type").annotate(
        before=Sum(basis, filter=Q(day__gte=baseline[0], day__lte=baseline[1])),
        during=Sum(basis, filter=Q(day__gte=window[0], day__lte=window[1])),
    )
    return [
        CombinationSpend(
            account=row["sub_account_id"] or row["billing_account_id"] or "",
            service=row["service_name"],
            region=row["region"],
            usage_type=row["usage_type"],
            resource="",
            baseline_total=row["before"] or Decimal(0),
            anomaly_total=row["during"] or Decimal(0),
        )
        for row in grouped
    ]


def _line_items(start: datetime.date, end: datetime.date, currency: str, usage_only: bool) -> Any:
    first, after = _day_bounds(start, end)
    items = CostLineItem.objects.filter(
        billing_period__in=_periods(start, end),
        charge_period_start__gte=first,
        charge_period_start__lt=after,
        billing_currency=currency,
    )
    return items.filter(charge_category=USAGE) if usage_only else items


def _windows(
    baseline: tuple[datetime.date, datetime.date], window: tuple[datetime.date, datetime.date]
) -> dict[str, Any]:
    b_first, b_after = _day_bounds(*baseline)
    w_first, w_after = _day_bounds(*window)
    return {
        "before": Q(charge_period_start__gte=b_first, charge_period_start__lt=b_after),
        "during": Q(charge_period_start__gte=w_first, charge_period_start__lt=w_after),
    }


def _tag_slice_by_combination(
    tag_key: str,
    value: str,
    currency: str,
    baseline: tuple[datetime.date, datetime.date],
    window: tuple[datetime.date, datetime.date],
    basis: str,
    usage_only: bool,
) -> list[CombinationSpend]:
    items = _line_items(min(baseline[0], window[0]), max(baseline[1], window[1]), currency, usage_only)
    items = items.filter(**{f"tags__{tag_key}": value})
    windows = _windows(baseline, window)
    rows = items.values("sub_account_id", "billing_account_id", "service_name", "region_id", "x_usage_type").annotate(
        before=Sum(basis, filter=windows["before"]), during=Sum(basis, filter=windows["during"])
    )
    return [
        CombinationSpend(
            account=row["sub_account_id"] or row["billing_account_id"] or "",
            service=row["service_name"] or "",
            region=row["region_id"] or "",
            usage_type=row["x_usage_type"] or "",
            resource="",
            baseline_total=row["before"] or Decimal(0),
            anomaly_total=row["during"] or Decimal(0),
        )
        for row in rows
    ]


def spend_by_resource(
    *,
    combination: dict[str, str],
    currency: str,
    baseline: tuple[datetime.date, datetime.date],
    window: tuple[datetime.date, datetime.date],
    basis: str = "billed_cost",
    usage_only: bool = True,
    limit: int = 5,
) -> list[tuple[str, Decimal, Decimal]]:
    """(resource id, baseline total, window total) of one account x service x region x usage type, biggest risers first.

    Reads the line items of the windows' days narrowed to that combination: root cause asks it
    for its top rows only.
    """
    _check_basis(basis)
    items = _line_items(min(baseline[0], window[0]), max(baseline[1], window[1]), currency, usage_only)
    account = combination.get("account", "")
    items = items.filter(Q(sub_account_id=account) | Q(sub_account_id=None, billing_account_id=account))
    for key, column in (("service", "service_name"), ("region", "region_id"), ("usage_type", "x_usage_type")):
        wanted = combination.get(key, "")
        items = (
            items.filter(**{column: wanted})
            if wanted
            else items.filter(Q(**{column: ""}) | Q(**{f"{column}__isnull": True}))
        )
    windows = _windows(baseline, window)
    rows = (
        items.exclude(resource_id=None)
        .exclude(resource_id="")
        .values("resource_id")
        .annotate(before=Sum(basis, filter=windows["before"]), during=Sum(basis, filter=windows["during"]))
    )
    found = [(row["resource_id"], row["before"] or Decimal(0), row["during"] or Decimal(0)) for row in rows]
    baseline_days = (baseline[1] - baseline[0]).days + 1
    window_days = (window[1] - window[0]).days + 1
    found.sort(key=lambda r: -(r[2] / window_days - r[1] / baseline_days))
    return found[:limit]


def latest_cost_day() -> datetime.date | None:
    """The newest day any bill (or estimate) covers; None before the first ingestion."""
    return rollups_effective().order_by("-day").values_list("day", flat=True).first()


TagSeriesKey = tuple[str, str, str, bool]  # (tag key, value, currency, is usage)


def tag_spend_series(
    *, tag_keys: list[str], start: datetime.date, end: datetime.date, basis: str = "billed_cost"
) -> dict[TagSeriesKey, Series]:
    """Spend per day for every value of several tag keys, split into usage and other charges.

    From the daily tag summary (one row per day, key, value and dimensions), in one query
    whatever the number of keys and monitors; callers add the two halves for all-charges series.
    """
    _check_basis(basis)
    if not tag_keys:
        return {}
    rows = (
        DailyTagCost.objects.filter(day__gte=start, day__lte=end, tag_key__in=tag_keys)
        .values("day", "tag_key", "tag_value", "currency", "charge_category")
        .annotate(amount=Sum(basis))
    )
    series: dict[TagSeriesKey, Series] = defaultdict(dict)
    for row in rows:
        key = (row["tag_key"], row["tag_value"], row["currency"], row["charge_category"] == USAGE)
        days = series[key]
        amount = row["amount"]
        if row["day"] in days:
            previous = days[row["day"]]
            days[row["day"]] = None if previous is None or amount is None else previous + amount
        else:
            days[row["day"]] = amount
    return dict(series)
