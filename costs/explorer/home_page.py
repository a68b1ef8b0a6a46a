"""Page shaping for the home dashboard: each figure as text with the explorer link that reproduces it.

The figures come from `costs.selectors.home_dashboard`; the links speak the explorer's URL
format (`costs.explorer`), built from `CostQuery` values so they stay valid as it evolves.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from costs.explorer.selectors import explorer_url
from costs.selectors import (
    Change,
    CostBasis,
    CostQuery,
    DailyStack,
    Dashboard,
    Dimension,
    DimensionFilter,
    Granularity,
    Preset,
    Window,
    money_format,
)

BILLED = CostBasis.BILLED.value


def _query(
    window: Window,
    *,
    preset: Preset | None = None,
    group_by: str | None = Dimension.SERVICE,
    filters: tuple[DimensionFilter, ...] = (),
    granularity: Granularity = Granularity.DAY,
) -> CostQuery:
    return CostQuery(
        start=window.start,
        end=window.end,
        granularity=granularity,
        group_by=group_by,
        filters=filters,
        basis=BILLED,
        preset=preset,
    )


def _span(window: Window) -> str:
    if window.start == window.end:
        return f"{window.start:%-d %b}"
    if window.start.month == window.end.month:
        return f"{window.start:%-d}–{window.end:%-d %b}"
    return f"{window.start:%-d %b}–{window.end:%-d %b}"


def signed_money(amount: Decimal, currency: str) -> str:
    text = money_format(amount, currency)
    return text if amount < 0 else f"+{text}"


def _change_text(change: Change) -> str:
    percent = f" ({'+' if change.change >= 0 else ''}{change.percent}%)" if change.percent is not None else ""
    return f"{signed_money(change.change, change.currency)}{percent}"


def account_label(account: str, names: dict[str, str]) -> str:
    if not account:
        return "(no account)"
    return f"{names[account]} ({account})" if account in names else account


def home_context(dashboard: Dashboard, names: dict[str, str]) -> dict[str, Any]:
    """Everything the home template shows, as text and links."""
    w = dashboard.windows
    mtd_url = explorer_url(_query(w.month_to_date, preset=Preset.THIS_MONTH))
    same_url = explorer_url(_query(w.same_days_last_month))
    cards: list[dict[str, Any]] = []
    for change in dashboard.month_to_date:
        cards.append(
            {
                "id": f"mtd-{change.currency}",
                "label": f"Month to date ({_span(w.month_to_date)})",
                "value": money_format(change.current, change.currency),
                "note": f"{money_format(change.previous, change.currency)} on {_span(w.same_days_last_month)}: "
                f"{_change_text(change)}",
                "url": mtd_url,
                "note_url": same_url,
            }
        )
    for forecast in dashboard.forecasts:
        cards.append(
            {
                "id": f"forecast-{forecast.currency}",
                "label": f"Month-end forecast ({forecast.month:%B})",
                "value": money_format(forecast.forecast, forecast.currency),
                "note": f"likely {money_format(forecast.low, forecast.currency)} – "
                f"{money_format(forecast.high, forecast.currency)} (80%), from data through {forecast.through:%-d %b}",
                "url": mtd_url,
            }
        )
    last_month_url = explorer_url(_query(w.last_month, preset=Preset.LAST_MONTH))
    for total in dashboard.last_month:
        cards.append(
            {
                "id": f"last-month-{total.currency}",
                "label": f"Last month ({w.last_month.start:%B})",
                "value": money_format(total.amount, total.currency),
                "url": last_month_url,
            }
        )
    return {
        "cards": cards,
        "charts": _charts(dashboard),
        "chart_url": explorer_url(_query(w.last_90_days, preset=Preset.LAST_90_DAYS)),
        "services": [
            {
                "label": s.key or "(no service)",
                "currency": s.currency,
                "amount": money_format(s.amount, s.currency),
                "url": explorer_url(
                    _query(
                        w.last_30_days,
                        preset=Preset.LAST_30_DAYS,
                        group_by=Dimension.USAGE_TYPE,
                        filters=(DimensionFilter(Dimension.SERVICE, (s.key,)),),
                    )
                ),
            }
            for s in dashboard.services
        ],
        "services_url": explorer_url(_query(w.last_30_days, preset=Preset.LAST_30_DAYS)),
        "accounts": [
            {
                "label": account_label(a.key, names),
                "currency": a.currency,
                "amount": money_format(a.amount, a.currency),
                "url": explorer_url(
                    _query(
                        w.last_30_days,
                        preset=Preset.LAST_30_DAYS,
                        filters=(DimensionFilter(Dimension.SUB_ACCOUNT, (a.key,)),),
                    )
                ),
            }
            for a in dashboard.accounts
        ],
        "accounts_url": explorer_url(
            _query(w.last_30_days, preset=Preset.LAST_30_DAYS, group_by=Dimension.SUB_ACCOUNT)
        ),
        "increases": [_mover(m, w) for m in dashboard.increases],
        "decreases": [_mover(m, w) for m in dashboard.decreases],
        "this_week": _span(w.this_week),
        "week_before": _span(w.week_before),
        "untagged": [
            {
                "currency": share.currency,
                "percent": share.percent,
                "untagged": money_format(share.untagged, share.currency),
                "total": money_format(share.total, share.currency),
            }
            for share in dashboard.untagged
        ],
        "untagged_url": explorer_url(
            _query(w.last_30_days, preset=Preset.LAST_30_DAYS, group_by=f"tag:{dashboard.tag_key}")
        )
        if dashboard.tag_key
        else None,
    }


def latest_month_url(through: datetime.date | None) -> str | None:
    """The explorer for the last month a bill covers (the way in when recent months are empty)."""
    if through is None:
        return None
    return explorer_url(_query(Window(through.replace(day=1), through)))


def _mover(mover: Any, w: Any) -> dict[str, Any]:
    both = Window(w.week_before.start, w.this_week.end)
    return {
        "service": mover.service or "(no service)",
        "currency": mover.currency,
        "this_week": money_format(mover.this_week, mover.currency),
        "week_before": money_format(mover.week_before, mover.currency),
        "change": signed_money(mover.change, mover.currency),
        "url": explorer_url(_query(both, filters=(DimensionFilter(Dimension.SERVICE, (mover.service,)),))),
    }


def _number(amount: Decimal) -> float:
    # The chart draws bars (display only); every figure a person reads is in the table beside it.
    return float(amount.quantize(Decimal("0.01")))


def _day_link_template(service: str | None) -> str | None:
    """The drill-down link of one service's bars, `{day}` standing for the bar's ISO date (explorer.js
    fills it in): one link per series rather than 90 per series on every home page view."""
    if service is None:
        return None
    placeholder = datetime.date(2000, 1, 1)
    query = _query(Window(placeholder, placeholder), filters=(DimensionFilter(Dimension.SERVICE, (service,)),))
    params = [(name, "{day}" if name in ("start", "end") else value) for name, value in query.to_params()]
    return f"{reverse('costs_drilldown')}?{urlencode(params, safe='{}')}"


def _table_body(stack: DailyStack) -> str:
    """The chart's figures as table rows, built here rather than in a template loop (90 rows x every
    series on every home page view); every piece of text is escaped."""
    rows = []
    for k, day in enumerate(stack.days):
        cells = [amounts[k] for _s, amounts in stack.series]
        figures = "".join(f'<td class="num">{escape(money_format(c, stack.currency))}</td>' for c in cells)
        total = escape(money_format(sum(cells, Decimal(0)), stack.currency))
        rows.append(f'<tr><th scope="row">{_day_text(day)}</th>{figures}<td class="num">{total}</td></tr>')
    return mark_safe("".join(rows))  # noqa: S308 - the figures are escaped above, the day is a date


def _charts(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The 90-day chart per currency, in the explorer chart script's format, with its table."""
    charts = []
    for i, stack in enumerate(dashboard.chart):
        labels = [f"{day:%d %b %Y}" for day in stack.days]
        datasets = []
        for service, amounts in stack.series:
            label = "Other" if service is None else (service or "(no service)")
            datasets.append(
                {"label": label, "data": [_number(a) for a in amounts], "link_template": _day_link_template(service)}
            )
        charts.append(
            {
                "id": f"home-chart-{i}",
                "currency": stack.currency,
                "data": {
                    "currency": stack.currency,
                    "labels": labels,
                    "days": [day.isoformat() for day in stack.days],
                    "datasets": datasets,
                },
                "columns": [d["label"] for d in datasets],
                "table_body": _table_body(stack),
            }
        )
    return charts


def _day_text(day: datetime.date) -> str:
    return f"{day:%a %-d %b %Y}"
