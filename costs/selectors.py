"""Reads that feed pages and the API (all from the daily rollups, never from line items)."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from costs.models import DailyCostRollup, LinkedAccount

BASES = ("billed_cost", "effective_cost", "list_cost", "contracted_cost", "unblended_cost", "net_unblended_cost")
GROUPABLE = ("service_name", "sub_account_id", "billing_account_id", "region", "charge_category", "source_id")
ALL_CATEGORIES = "All"


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _period_date(period: str) -> datetime.date:
    return datetime.datetime.strptime(period, "%Y-%m").date()


def cost_totals(*, period: str | None = None) -> list[dict[str, Any]]:
    """Totals per billing period, currency and charge category, with every cost basis (Decimal).

    Each period and currency also gets an `All` row: the figure to check against the invoice.
    Only bill-derived rollups count; Cost Explorer estimates are not a bill.
    """
    rollups = DailyCostRollup.objects.filter(is_estimate=False)
    if period:
        rollups = rollups.filter(billing_period=_period_date(period))
    sums = {basis: Sum(basis) for basis in BASES}
    rows = []
    per_category = (
        rollups.values("billing_period", "currency", "charge_category")
        .annotate(rows=Sum("row_count"), **sums)
        .order_by("billing_period", "currency", "charge_category")
    )
    overall = {
        (r["billing_period"], r["currency"]): r
        for r in rollups.values("billing_period", "currency").annotate(rows=Sum("row_count"), **sums)
    }
    last_key = None
    for row in per_category:
        key = (row["billing_period"], row["currency"])
        if key != last_key and last_key is not None:
            rows.append(_total_row(overall[last_key]))
        last_key = key
        rows.append(_total_row(row))
    if last_key is not None:
        rows.append(_total_row(overall[last_key]))
    return rows


def _total_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "billing_period": f"{row['billing_period']:%Y-%m}",
        "currency": row["currency"],
        "charge_category": row.get("charge_category", ALL_CATEGORIES),
        "rows": int(row["rows"] or 0),
        **{basis: row[basis] or Decimal(0) for basis in BASES},
    }


def rollups_effective() -> QuerySet[DailyCostRollup]:
    """Rollups where an estimate yields to bill data for the same day and billing account."""
    billed = DailyCostRollup.objects.filter(
        is_estimate=False, day=OuterRef("day"), billing_account_id=OuterRef("billing_account_id")
    )
    return DailyCostRollup.objects.filter(Q(is_estimate=False) | ~Exists(billed))


def daily_costs(*, start: datetime.date, end: datetime.date, group_by: str = "service_name") -> list[dict[str, Any]]:
    """Cost per day (start..end inclusive) and `group_by` value and currency, every basis as Decimal.

    Estimates (Cost Explorer) only count for day and billing account pairs no bill covers yet;
    `is_estimate` says whether any estimate went into a row.
    """
    if group_by not in GROUPABLE:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUPABLE)}")
    rows = (
        rollups_effective()
        .filter(day__gte=start, day__lte=end)
        .values("day", group_by, "currency")
        .annotate(
            rows=Sum("row_count"),
            estimates=Count("id", filter=Q(is_estimate=True)),
            **{basis: Sum(basis) for basis in BASES},
        )
        .order_by("day", group_by, "currency")
    )
    return [
        {
            "day": row["day"],
            group_by: row[group_by],
            "currency": row["currency"],
            "rows": int(row["rows"] or 0),
            "is_estimate": bool(row["estimates"]),
            **{basis: row[basis] or Decimal(0) for basis in BASES},
        }
        for row in rows
    ]


def money_format(amount: Decimal, currency: str) -> str:
    """$1,234.56 for USD; `1,234.56 EUR` for others (rounded half-up to cents, display only)."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    return f"{sign}${text}" if currency == "USD" else f"{sign}{text} {currency}"


def _month_figure(start: datetime.date, end: datetime.date) -> str:
    per_currency = (
        rollups_effective()
        .filter(day__gte=start, day__lt=end)
        .values("currency")
        .annotate(total=Sum("billed_cost"))
        .order_by("-total")
    )
    figures = [money_format(row["total"] or Decimal(0), row["currency"]) for row in per_currency]
    return " + ".join(figures) if figures else money_format(Decimal(0), "USD")


def home_summary(*, today: datetime.date | None = None) -> dict[str, Any]:
    """Figures for the organization home page; {} until cost data arrives.

    Billed cost (what the invoice will say) for this and last month, and how many accounts
    the bills have shown so far.
    """
    if not DailyCostRollup.objects.exists():
        return {}
    today = today or timezone.now().date()
    this_month = _month_start(today)
    last_month = _month_start(this_month - datetime.timedelta(days=1))
    summary: OrderedDict[str, Any] = OrderedDict()
    summary["Month to date"] = _month_figure(this_month, today + datetime.timedelta(days=1))
    summary["Last month"] = _month_figure(last_month, this_month)
    summary["Linked accounts"] = f"{LinkedAccount.objects.count():,}"
    return summary
