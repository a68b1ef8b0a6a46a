"""Month-end forecast with an interval, for the home page, monitors and budgets.

Month to date is what the bill says; the rest of the month is the average spend per weekday
over the last four weeks with data, one value per remaining day. The interval (80%) comes
from how much the last four weekly totals varied, scaled to the days left.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean, stdev

from costs.selectors.series import Series, SeriesKey, daily_spend_series

Z_80 = Decimal("1.2816")
CENTS = Decimal("0.01")
HISTORY_DAYS = 35  # the days before the month a forecast learns its weekly run rate from


@dataclass(frozen=True)
class MonthForecast:
    currency: str
    month: datetime.date  # first day
    actual_to_date: Decimal
    forecast: Decimal
    low: Decimal
    high: Decimal
    through: datetime.date  # the last day with data


def month_end_forecast(
    *,
    today: datetime.date,
    dimension: str = "total",
    value: str | None = None,
    tag_key: str = "",
    basis: str = "billed_cost",
    usage_only: bool = False,
) -> list[MonthForecast]:
    """Forecast of this month's spend per currency (all charges unless `usage_only`); [] without data this month."""
    month, series = _month_history(
        today=today, dimension=dimension, basis=basis, usage_only=usage_only, tag_key=tag_key, value=value
    )
    return _forecasts_per_currency(series.items(), month)


def month_end_forecast_by_value(
    *,
    today: datetime.date,
    dimension: str = "total",
    tag_key: str = "",
    basis: str = "billed_cost",
    usage_only: bool = False,
) -> dict[str, list[MonthForecast]]:
    """`month_end_forecast` of every value of `dimension` from one read of the bill: {value: forecasts}.

    The total's value is "". For lists (budgets) that would otherwise read the bill once per row.
    """
    month, series = _month_history(
        today=today, dimension=dimension, basis=basis, usage_only=usage_only, tag_key=tag_key, value=None
    )
    by_value: dict[str, list[tuple[SeriesKey, Series]]] = {}
    for key, amounts in series.items():
        by_value.setdefault(key[0], []).append((key, amounts))
    return {value: _forecasts_per_currency(items, month) for value, items in by_value.items()}


def month_end_forecast_from_series(*, today: datetime.date, series: Mapping[SeriesKey, Series]) -> list[MonthForecast]:
    """`month_end_forecast` from daily spend already read (`daily_spend_series`' shape): the home
    page reads the same days with its other figures and need not read them twice."""
    month = today.replace(day=1)
    start = month - datetime.timedelta(days=HISTORY_DAYS)
    window = {key: {day: a for day, a in days.items() if start <= day <= today} for key, days in series.items()}
    return _forecasts_per_currency(window.items(), month)


def _month_history(
    *, today: datetime.date, dimension: str, basis: str, usage_only: bool, tag_key: str, value: str | None
) -> tuple[datetime.date, Mapping[SeriesKey, Series]]:
    """This month's first day and the daily spend a forecast learns from (the month and the 35 days before)."""
    month = today.replace(day=1)
    series = daily_spend_series(
        dimension=dimension,
        start=month - datetime.timedelta(days=HISTORY_DAYS),
        end=today,
        basis=basis,
        usage_only=usage_only,
        tag_key=tag_key,
        value=value,
    )
    return month, series


def _forecasts_per_currency(series: Iterable[tuple[SeriesKey, Series]], month: datetime.date) -> list[MonthForecast]:
    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    per_currency: dict[str, dict[datetime.date, Decimal]] = {}
    for (_value, currency), amounts in series:
        merged = per_currency.setdefault(currency, {})
        for day, amount in amounts.items():
            if amount is not None:
                merged[day] = merged.get(day, Decimal(0)) + amount
    forecasts = []
    for currency, days in sorted(per_currency.items()):
        this_month = [day for day in days if day >= month]
        if not this_month:
            continue
        through = max(days)
        forecasts.append(_forecast(currency, month, month_end, through, days))
    return forecasts


def _forecast(
    currency: str,
    month: datetime.date,
    month_end: datetime.date,
    through: datetime.date,
    days: dict[datetime.date, Decimal],
) -> MonthForecast:
    actual = sum((amount for day, amount in days.items() if month <= day <= through), Decimal(0))
    recent = [through - datetime.timedelta(days=k) for k in range(28)]
    by_weekday: dict[int, list[Decimal]] = {}
    for day in recent:
        by_weekday.setdefault(day.weekday(), []).append(days.get(day, Decimal(0)))
    rate = {weekday: Decimal(mean(values)) for weekday, values in by_weekday.items()}
    remaining = [through + datetime.timedelta(days=k) for k in range(1, (month_end - through).days + 1)]
    rest = sum((rate[day.weekday()] for day in remaining), Decimal(0))
    weeks = [
        sum((days.get(through - datetime.timedelta(days=7 * w + k), Decimal(0)) for k in range(7)), Decimal(0))
        for w in range(4)
    ]
    spread = Decimal(0)
    if sum(weeks) > 0:
        spread = Decimal(stdev(weeks)) / Decimal(mean(weeks))
    half = rest * spread * (Decimal(len(remaining)) / 7).sqrt() * Z_80 if remaining else Decimal(0)
    total = actual + rest
    return MonthForecast(
        currency=currency,
        month=month,
        actual_to_date=actual.quantize(CENTS),
        forecast=total.quantize(CENTS),
        low=max(actual, total - half).quantize(CENTS),
        high=(total + half).quantize(CENTS),
        through=through,
    )
