"""Totals per billing period, currency and charge category: the figures to check against the invoice."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import Sum

from costs.models import DailyCostRollup
from costs.selectors.bases import basis_sums, basis_values
from costs.vocabulary import ALL_CATEGORIES


def _period_date(period: str) -> datetime.date:
    return datetime.datetime.strptime(period, "%Y-%m").date()


def cost_totals(*, period: str | None = None) -> list[dict[str, Any]]:
    """Totals per billing period, currency and charge category, with every cost basis (Decimal).

    Each period and currency also gets an `All` row: the figure to check against the invoice.
    Only bill-derived rollups count; Cost Explorer estimates are not a bill. A basis that an
    export summed into a row does not carry is None there ("not in this export"), never 0.
    """
    rollups = DailyCostRollup.objects.filter(is_estimate=False)
    if period:
        rollups = rollups.filter(billing_period=_period_date(period))
    sums = basis_sums()
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
        **basis_values(row),
    }


def cost_range_totals(*, start: datetime.date, end: datetime.date) -> list[dict[str, Any]]:
    """Per currency, every cost basis summed over the charge days start..end (inclusive).

    The API's costs summary: bill rows only (no Cost Explorer estimates), one aggregate query
    over the daily rollups. A basis some summed export lacks is None ("not in this export").
    """
    rows = (
        DailyCostRollup.objects.filter(is_estimate=False, day__gte=start, day__lte=end)
        .values("currency")
        .annotate(rows=Sum("row_count"), **basis_sums())
        .order_by("currency")
    )
    return [{"currency": row["currency"], "rows": int(row["rows"] or 0), **basis_values(row)} for row in rows]
