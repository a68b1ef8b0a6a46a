"""Daily costs from the rollups, with Cost Explorer estimates standing in only where no bill covers a day."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from costs.models import DailyCostRollup, DailyServiceCost
from costs.selectors.bases import basis_sums, basis_values
from costs.vocabulary import GROUPABLE


def rollups_effective() -> QuerySet[DailyCostRollup]:
    """Rollups where an estimate yields to bill data for the same day and billing account."""
    billed = DailyCostRollup.objects.filter(
        is_estimate=False, day=OuterRef("day"), billing_account_id=OuterRef("billing_account_id")
    )
    return DailyCostRollup.objects.filter(Q(is_estimate=False) | ~Exists(billed))


# What the daily services table holds besides the day and the currency.
SERVICE_FIELDS = frozenset({"service_name", "charge_category", "billing_account_id"})


def services_and_estimates(**filters: Any) -> tuple[QuerySet[DailyServiceCost], QuerySet[DailyCostRollup]]:
    """The rows `rollups_effective` counts, from the smaller tables: the bill's days from the daily
    services, Cost Explorer estimates (which only the rollups hold) where no bill covers their day.
    `filters` must name columns both tables have."""
    return DailyServiceCost.objects.filter(**filters), rollups_effective().filter(is_estimate=True, **filters)


def effective_sums(
    *, start: datetime.date, end: datetime.date, fields: Sequence[str], basis: str, filters: dict[str, Any]
) -> dict[tuple[Any, ...], Decimal | None]:
    """SUM(basis) per `fields` over the days start..end, as `rollups_effective` counts it.

    When the fields and filters are columns of the daily services table, the bill's days come
    from there (a twentieth of the rollups' rows) and only Cost Explorer estimates from the
    rollups; a sum is None only where every row lacked the basis, as SQL's SUM.
    """
    days = {"day__gte": start, "day__lte": end, **filters}
    if set(fields) - {"day", "currency"} | set(filters) <= SERVICE_FIELDS:
        parts: list[QuerySet[Any]] = list(services_and_estimates(**days))
    else:
        parts = [rollups_effective().filter(**days)]
    sums: dict[tuple[Any, ...], Decimal | None] = {}
    for rows in parts:
        for row in rows.values(*fields).annotate(amount=Sum(basis)).order_by():
            key = tuple(row[field] for field in fields)
            before, amount = sums.get(key), row["amount"]
            sums[key] = amount if before is None else before if amount is None else before + amount
    return sums


def daily_costs(*, start: datetime.date, end: datetime.date, group_by: str = "service_name") -> list[dict[str, Any]]:
    """Cost per day (start..end inclusive) and `group_by` value and currency, every basis as Decimal.

    Estimates (Cost Explorer) only count for day and billing account pairs no bill covers yet;
    `is_estimate` says whether any estimate went into a row. A basis that some export summed
    into a row does not carry is None ("not in this export"), never 0.
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
            **basis_sums(),
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
            **basis_values(row),
        }
        for row in rows
    ]
