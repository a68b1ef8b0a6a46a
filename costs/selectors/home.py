"""Figures for the organization home page."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from costs.models import DailyCostRollup, LinkedAccount
from costs.selectors.daily import rollups_effective
from costs.selectors.money import money_format
from costs.vocabulary import CostBasis


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_figure(start: datetime.date, end: datetime.date) -> str:
    per_currency = (
        rollups_effective()
        .filter(day__gte=start, day__lt=end)
        .values("currency")
        .annotate(total=Sum(CostBasis.BILLED.value))
        .order_by("-total")
    )
    # Billed cost is required of every line, so a figure here is never "not in this export".
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
