"""Figures for the organization home dashboard, from the daily summaries.

One grouped query over the daily services (day x service x currency, from the start of last
month or 90 days back, whichever is earlier), with the rollups' Cost Explorer estimates for the
days no bill covers, answers month to date, the same days last month, last
month, the 90-day chart, top services and the week-over-week movers; one more gives top
accounts and one the tagged share. Never line items, whatever the size of the bill.

Billed cost throughout (what the invoice will say). Amounts are per currency, never summed
across currencies. Cost Explorer estimates count only for days no bill covers yet (as in
`rollups_effective`); the tagged share is of bill data only (estimates carry no tags).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.db.models import Sum, Value

from costs.models import DailyCostRollup, DailyTagCost
from costs.selectors.daily import rollups_effective, services_and_estimates
from costs.selectors.forecast import MonthForecast, month_end_forecast_from_series
from costs.selectors.query import Preset, month_end, month_start, months_back, preset_range

CHART_SERIES = 6  # services stacked one by one in the 90-day chart; the rest are "Other"
TOP = 5  # rows in each top list
BASIS = "billed_cost"


@dataclass(frozen=True)
class Window:
    start: datetime.date
    end: datetime.date  # inclusive

    def holds(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Windows:
    """The date ranges the dashboard's figures cover (the explorer links reuse them)."""

    month_to_date: Window
    same_days_last_month: Window
    last_month: Window
    last_90_days: Window
    last_30_days: Window
    this_week: Window  # the last 7 days, ending yesterday
    week_before: Window


def dashboard_windows(today: datetime.date) -> Windows:
    last_month_start = months_back(today, 1)
    same_end = min(last_month_start + datetime.timedelta(days=today.day - 1), month_end(last_month_start))
    ninety = preset_range(Preset.LAST_90_DAYS, today=today)
    thirty = preset_range(Preset.LAST_30_DAYS, today=today)
    yesterday = today - datetime.timedelta(days=1)
    return Windows(
        month_to_date=Window(month_start(today), today),
        same_days_last_month=Window(last_month_start, same_end),
        last_month=Window(last_month_start, month_end(last_month_start)),
        last_90_days=Window(*ninety),
        last_30_days=Window(*thirty),
        this_week=Window(yesterday - datetime.timedelta(days=6), yesterday),
        week_before=Window(yesterday - datetime.timedelta(days=13), yesterday - datetime.timedelta(days=7)),
    )


@dataclass(frozen=True)
class Change:
    """A figure and the one it is compared with, in one currency."""

    currency: str
    current: Decimal
    previous: Decimal

    @property
    def change(self) -> Decimal:
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        if not self.previous:
            return None
        return (self.change / abs(self.previous) * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Ranked:
    key: str  # a service name or account id ('' = none)
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Mover:
    service: str
    currency: str
    this_week: Decimal
    week_before: Decimal

    @property
    def change(self) -> Decimal:
        return self.this_week - self.week_before


@dataclass(frozen=True)
class DailyStack:
    """Daily spend of one currency over the last 90 days, top services one by one, the rest as None."""

    currency: str
    days: tuple[datetime.date, ...]
    series: tuple[tuple[str | None, tuple[Decimal, ...]], ...]


@dataclass(frozen=True)
class TaggedShare:
    currency: str
    total: Decimal  # bill data over the last 30 days
    untagged: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.total:
            return None
        return (self.untagged / self.total * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    windows: Windows
    month_to_date: tuple[Change, ...]  # vs the same days last month
    last_month: tuple[Ranked, ...]  # key '' per currency
    forecasts: tuple[MonthForecast, ...]
    chart: tuple[DailyStack, ...]
    services: tuple[Ranked, ...]  # last 30 days, per currency largest first
    accounts: tuple[Ranked, ...]  # last 30 days
    increases: tuple[Mover, ...]  # this week vs the week before, largest increase first
    decreases: tuple[Mover, ...]  # largest decrease first
    tag_key: str | None
    untagged: tuple[TaggedShare, ...]
    estimate_days: tuple[datetime.date, datetime.date] | None  # days only Cost Explorer covers so far


_Cells = dict[tuple[datetime.date, str, str], Decimal]  # (day, service, currency) -> amount


def home_dashboard(*, today: datetime.date, tag_key: str | None) -> Dashboard | None:
    """Every figure of the home dashboard for `today`; None before any cost data arrives.

    `tag_key` is the key whose untagged share is shown (None: no tag shown).
    """
    if not DailyCostRollup.objects.exists():
        return None
    windows = dashboard_windows(today)
    start = min(windows.last_month.start, windows.last_90_days.start)
    cells: _Cells = {}
    bill_cells: _Cells = {}
    estimate_days: list[datetime.date] = []
    # Bill days from the daily services table (a twentieth of the rollups' rows), estimates apart.
    bill, estimates = services_and_estimates(day__gte=start, day__lte=today)
    rows = chain(
        bill.values("day", "service_name", "currency").annotate(amount=Sum(BASIS), is_estimate=Value(False)).order_by(),
        estimates.values("day", "service_name", "currency", "is_estimate").annotate(amount=Sum(BASIS)).order_by(),
    )
    for row in rows:
        key = (row["day"], row["service_name"], row["currency"])
        cells[key] = cells.get(key, Decimal(0)) + row["amount"]
        if row["is_estimate"]:
            estimate_days.append(row["day"])
        else:
            bill_cells[key] = bill_cells.get(key, Decimal(0)) + row["amount"]
    return Dashboard(
        today=today,
        windows=windows,
        month_to_date=_month_to_date(cells, windows),
        last_month=tuple(Ranked("", c, a) for c, a in sorted(_per_currency(cells, windows.last_month).items())),
        forecasts=tuple(month_end_forecast_from_series(today=today, series=_daily_totals(cells))),
        chart=_chart(cells, windows.last_90_days),
        services=_top(_per_key(cells, windows.last_30_days)),
        accounts=_top(_accounts(windows.last_30_days)),
        increases=_movers(cells, windows, increases=True),
        decreases=_movers(cells, windows, increases=False),
        tag_key=tag_key,
        untagged=_untagged(bill_cells, tag_key, windows.last_30_days) if tag_key else (),
        estimate_days=(min(estimate_days), max(estimate_days)) if estimate_days else None,
    )


def _daily_totals(cells: _Cells) -> dict[tuple[str, str], dict[datetime.date, Decimal | None]]:
    """Spend per day and currency, in `daily_spend_series`' shape (for the forecast)."""
    series: dict[tuple[str, str], dict[datetime.date, Decimal | None]] = {}
    for (day, _service, currency), amount in cells.items():
        days = series.setdefault(("", currency), {})
        days[day] = (days.get(day) or Decimal(0)) + amount
    return series


def _per_currency(cells: _Cells, window: Window) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for (day, _service, currency), amount in cells.items():
        if window.holds(day):
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    return totals


def _per_key(cells: _Cells, window: Window) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    for (day, service, currency), amount in cells.items():
        if window.holds(day):
            totals[(service, currency)] = totals.get((service, currency), Decimal(0)) + amount
    return totals


def _month_to_date(cells: _Cells, windows: Windows) -> tuple[Change, ...]:
    now = _per_currency(cells, windows.month_to_date)
    before = _per_currency(cells, windows.same_days_last_month)
    return tuple(
        Change(currency, now.get(currency, Decimal(0)), before.get(currency, Decimal(0)))
        for currency in sorted(set(now) | set(before))
    )


def _top(totals: dict[tuple[str, str], Decimal]) -> tuple[Ranked, ...]:
    out: list[Ranked] = []
    for currency in sorted({c for _k, c in totals}):
        mine = sorted(((k, a) for (k, c), a in totals.items() if c == currency), key=lambda item: (-item[1], item[0]))
        out += [Ranked(key, currency, amount) for key, amount in mine[:TOP]]
    return tuple(out)


def _accounts(window: Window) -> dict[tuple[str, str], Decimal]:
    rows = (
        rollups_effective()
        .filter(day__gte=window.start, day__lte=window.end)
        .values("sub_account_id", "currency")
        .annotate(amount=Sum(BASIS))
        .order_by()
    )
    return {(row["sub_account_id"], row["currency"]): row["amount"] for row in rows}


def _chart(cells: _Cells, window: Window) -> tuple[DailyStack, ...]:
    days = tuple(window.start + datetime.timedelta(days=k) for k in range((window.end - window.start).days + 1))
    index = {day: i for i, day in enumerate(days)}
    per_service = _per_key(cells, window)
    stacks = []
    for currency in sorted({c for _s, c in per_service}):
        ranked = sorted(
            (s for s, c in per_service if c == currency), key=lambda s: (-abs(per_service[(s, currency)]), s)
        )
        shown = ranked[:CHART_SERIES]
        lines: dict[str | None, list[Decimal]] = {s: [Decimal(0)] * len(days) for s in shown}
        if len(ranked) > len(shown):
            lines[None] = [Decimal(0)] * len(days)
        for (day, service, cur), amount in cells.items():
            if cur == currency and day in index:
                target = service if service in lines else None
                lines[target][index[day]] += amount
        stacks.append(DailyStack(currency, days, tuple((s, tuple(a)) for s, a in lines.items())))
    return tuple(stacks)


def _movers(cells: _Cells, windows: Windows, *, increases: bool) -> tuple[Mover, ...]:
    now = _per_key(cells, windows.this_week)
    before = _per_key(cells, windows.week_before)
    movers = [
        Mover(service, currency, now.get((service, currency), Decimal(0)), before.get((service, currency), Decimal(0)))
        for service, currency in set(now) | set(before)
    ]
    if increases:
        chosen = sorted((m for m in movers if m.change > 0), key=lambda m: (-m.change, m.service, m.currency))
    else:
        chosen = sorted((m for m in movers if m.change < 0), key=lambda m: (m.change, m.service, m.currency))
    return tuple(chosen[:TOP])


def _untagged(bill_cells: _Cells, tag_key: str, window: Window) -> tuple[TaggedShare, ...]:
    totals = _per_currency(bill_cells, window)
    tagged = {
        row["currency"]: row["amount"] or Decimal(0)
        for row in DailyTagCost.objects.filter(tag_key=tag_key, day__gte=window.start, day__lte=window.end)
        .values("currency")
        .annotate(amount=Sum(BASIS))
        .order_by()
    }
    return tuple(
        TaggedShare(currency, total, total - tagged.get(currency, Decimal(0)))
        for currency, total in sorted(totals.items())
    )
