"""The reconciliation page: one billing period as the invoice shows it, with the delivery it came from."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from costs.explorer.selectors import explorer_url
from costs.selectors import (
    CostBasis,
    CostQuery,
    Dimension,
    QueryError,
    money_format,
    period_reconciliation,
    reconciliation_periods,
)
from costs.selectors.query import month_end
from tenants.access import organization_page, request_membership


def _period(text: str | None, periods: list[datetime.date]) -> datetime.date:
    if not text:
        return periods[0] if periods else timezone.now().date().replace(day=1)
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise QueryError("period", f"{text!r} is not a billing period; use YYYY-MM") from None


@organization_page
def reconciliation(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    periods = reconciliation_periods()
    try:
        period = _period(request.GET.get("period"), periods)
    except QueryError as error:
        invalid = {"error": error, "title": "Reconciliation", "reset_url": request.path}
        return render(request, "explorer/invalid_query.html", invalid, status=400)
    sources = period_reconciliation(period=period)
    by_category = CostQuery(
        start=period,
        end=month_end(period),
        group_by=Dimension.CHARGE_CATEGORY,
        basis=CostBasis.BILLED,
    )
    context: dict[str, Any] = {
        "membership": membership,
        "period": period,
        "periods": periods,
        "sources": [
            {
                "source": s,
                "total": money_format(s.total, s.currency),
                "categories": [
                    {
                        "category": c.category,
                        "amount": money_format(c.amount, s.currency),
                        "rows": c.rows,
                        "kinds": [
                            (kind or "(not given)", money_format(a, s.currency)) for kind, a in c.line_item_types
                        ],
                    }
                    for c in s.categories
                ],
            }
            for s in sources
        ],
        "explorer_url": explorer_url(by_category),
    }
    return render(request, "explorer/reconciliation.html", context)
