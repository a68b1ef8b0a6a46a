"""Budgets: create, change, delete, and the check after every run (each threshold alerts once a month)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from costs.monitoring.alerts.dispatch import budget_deliveries_create
from costs.monitoring.models import Budget, BudgetAlert, BudgetScope, ThresholdBasis
from costs.selectors import MonthForecast, month_end_forecast, month_end_forecast_by_value


def _validate(budget: Budget) -> None:
    if budget.amount is None or budget.amount <= 0:
        raise ValidationError({"amount": "A budget needs a positive monthly amount."})
    if budget.scope != BudgetScope.ALL and not budget.scope_value:
        raise ValidationError({"scope_value": "Name the service, account or tag value this budget covers."})
    if budget.scope == BudgetScope.TAG and not budget.tag_key:
        raise ValidationError({"tag_key": "A tag budget needs a tag key."})
    for field in ("actual_thresholds", "forecast_thresholds"):
        if any(not 1 <= t <= 1000 for t in getattr(budget, field)):
            raise ValidationError({field: "Thresholds are percentages between 1 and 1000."})
    budget.full_clean()


@transaction.atomic
def budget_create(*, user: Any, **fields: Any) -> Budget:
    """A monthly budget; thresholds are percentages of the amount (e.g. actual [80, 100], forecast [100])."""
    budget = Budget(created_by_id=getattr(user, "pk", None), **fields)
    _validate(budget)
    budget.save()
    return budget


@transaction.atomic
def budget_update(*, budget: Budget, **fields: Any) -> Budget:
    for name, value in fields.items():
        setattr(budget, name, value)
    _validate(budget)
    budget.save()
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget) -> None:
    budget.delete()


def budget_forecast(budget: Budget, *, today: datetime.date) -> MonthForecast | None:
    """This month's actual and forecast spend in the budget's scope and currency (None before data)."""
    forecasts = month_end_forecast(
        today=today,
        dimension=budget.scope,
        value=budget.scope_value or None,
        tag_key=budget.tag_key,
        basis=budget.cost_basis,
        usage_only=False,
    )
    return next((f for f in forecasts if f.currency == budget.currency), None)


def budget_status(budget: Budget, *, today: datetime.date) -> dict[str, Any]:
    """Actual, forecast and the percentages of the amount, for pages and the check."""
    return _status(budget, budget_forecast(budget, today=today))


def budgets_status(budgets: Iterable[Budget], *, today: datetime.date) -> list[dict[str, Any]]:
    """`budget_status` of each budget, reading the bill once per (scope, tag key, cost basis), not per budget."""
    budgets = list(budgets)
    groups = {(b.scope, b.tag_key if b.scope == BudgetScope.TAG else "", b.cost_basis) for b in budgets}
    forecasts = {
        group: month_end_forecast_by_value(today=today, dimension=group[0], tag_key=group[1], basis=group[2])
        for group in sorted(groups)
    }
    statuses = []
    for budget in budgets:
        group = (budget.scope, budget.tag_key if budget.scope == BudgetScope.TAG else "", budget.cost_basis)
        value = "" if budget.scope == BudgetScope.ALL else budget.scope_value
        found = forecasts[group].get(value, [])
        statuses.append(_status(budget, next((f for f in found if f.currency == budget.currency), None)))
    return statuses


def _status(budget: Budget, forecast: MonthForecast | None) -> dict[str, Any]:
    actual = forecast.actual_to_date if forecast else Decimal(0)
    projected = forecast.forecast if forecast else Decimal(0)
    return {
        "budget": budget,
        "forecast": forecast,
        "actual": actual,
        "projected": projected,
        "actual_percent": (actual / budget.amount * 100).quantize(Decimal("0.1")),
        "forecast_percent": (projected / budget.amount * 100).quantize(Decimal("0.1")),
    }


@transaction.atomic
def budgets_check(*, today: datetime.date) -> list[BudgetAlert]:
    """Record (and alert) every threshold crossed this month that has not alerted yet this month."""
    created = []
    for budget in Budget.objects.all():
        status = budget_status(budget, today=today)
        if status["forecast"] is None:
            continue
        period = status["forecast"].month
        crossed = [(ThresholdBasis.ACTUAL, t, status["actual"]) for t in budget.actual_thresholds] + [
            (ThresholdBasis.FORECAST, t, status["projected"]) for t in budget.forecast_thresholds
        ]
        for basis, threshold, amount in crossed:
            if amount * 100 < budget.amount * threshold:
                continue
            if BudgetAlert.objects.filter(budget=budget, period=period, basis=basis, threshold=threshold).exists():
                continue
            try:
                with transaction.atomic():
                    alert = BudgetAlert.objects.create(
                        budget=budget, period=period, basis=basis, threshold=threshold, amount=amount
                    )
            except IntegrityError:  # a concurrent run recorded it first: it alerted there
                continue
            budget_deliveries_create(alert=alert)
            created.append(alert)
    return created
