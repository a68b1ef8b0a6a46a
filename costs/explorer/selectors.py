"""Page shaping for the explorer: labels, links, chart data. The figures come from `costs.selectors`."""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from costs.selectors import (
    PRESET_LABELS,
    Amount,
    Breakdown,
    CostBasis,
    CostQuery,
    Dimension,
    Granularity,
    amount_add,
    bucket_range,
    dimension_label,
    money_format,
    tag_key_of,
)

CHART_SERIES = 8  # stacked series a chart shows; the rest of the table is one "Other" series
NOT_IN_EXPORT = "not in this export"


@dataclass(frozen=True)
class TableRow:
    label: str
    group: str | None
    currency: str
    cells: list[tuple[str, str | None]]  # (figure, drill-down link) per bucket
    total: str
    drill_url: str | None
    is_other: bool

    def cells_html(self) -> SafeString:
        """The figure cells as HTML: a 90-day table has thousands, and a template loop over them
        costs several times what this does (it was most of the explorer page's time). html.escape
        is what django.utils.html.escape calls, without its lazy-string wrapper, which cost more
        than the escaping itself here."""
        parts = []
        for text, link in self.cells:
            figure = html.escape(text)
            parts.append(
                f'<td class="num"><a href="{html.escape(link)}">{figure}</a></td>'
                if link
                else f'<td class="num">{figure}</td>'
            )
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def amount_text(amount: Amount, currency: str) -> str:
    """A figure for the page; an absent basis says so instead of showing 0."""
    return NOT_IN_EXPORT if amount is None else money_format(amount, currency)


def group_label(dimension: str | None, value: str | None, names: dict[str, str]) -> str:
    if value is None:
        return "Other"
    if value == "":
        if dimension and tag_key_of(dimension) is not None:
            return f"(no {tag_key_of(dimension)} tag)"
        return f"(no {dimension_label(dimension or '').lower()})"
    if dimension in (Dimension.SUB_ACCOUNT, Dimension.BILLING_ACCOUNT) and value in names:
        return f"{names[value]} ({value})"
    return value


def bucket_label(bucket: datetime.date, granularity: Granularity) -> str:
    if granularity == Granularity.MONTH:
        return f"{bucket:%b %Y}"
    if granularity == Granularity.WEEK:
        return f"Week of {bucket:%d %b %Y}"
    return f"{bucket:%d %b %Y}"


def drilldown_url(query: CostQuery) -> str:
    return f"{reverse('costs_drilldown')}?{query.to_querystring()}"


def explorer_url(query: CostQuery) -> str:
    return f"{reverse('costs')}?{query.to_querystring()}"


class RangeLinks:
    """Drill-down links of one question over many date ranges (a table row's cells, a chart's bars).

    `with_range(range_params(start, end))` is the same text as `drilldown_url(query.with_range(start,
    end))`, with the question's other parameters encoded once instead of once per cell: a 90-day table
    has thousands of cells.
    """

    def __init__(self, query: CostQuery) -> None:
        rest = [(name, value) for name, value in query.to_params() if name not in ("range", "start", "end")]
        self.prefix = f"{reverse('costs_drilldown')}?"
        self.rest = urlencode(rest)

    def with_range(self, params: str) -> str:
        """The link for a range already written as `range_params` (once per bucket, not per cell)."""
        return f"{self.prefix}{params}&{self.rest}"


def range_params(start: datetime.date, end: datetime.date) -> str:
    return f"start={start.isoformat()}&end={end.isoformat()}"


def bucket_params(breakdown: Breakdown) -> list[str]:
    """Each bucket's days as link parameters (the same for every row of a table)."""
    return [range_params(*bucket_range(bucket, breakdown.query)) for bucket in breakdown.buckets]


def table_rows(breakdown: Breakdown, names: dict[str, str]) -> list[TableRow]:
    query = breakdown.query
    ranges = bucket_params(breakdown)
    rows = []
    for row in breakdown.rows:
        narrowed = query if row.group is None or not query.group_by else query.with_filter(query.group_by, row.group)
        links = RangeLinks(narrowed) if row.group is not None else None
        cells = [
            (amount_text(amount, row.currency), links.with_range(params) if links is not None else None)
            for params, amount in zip(ranges, row.amounts, strict=True)
        ]
        label = group_label(query.group_by, row.group, names)
        if row.group is None and row.folded:
            label = f"Other ({row.folded} more)"
        rows.append(
            TableRow(
                label=label,
                group=row.group,
                currency=row.currency,
                cells=cells,
                total=amount_text(row.total, row.currency),
                drill_url=drilldown_url(narrowed) if row.group is not None else None,
                is_other=row.group is None,
            )
        )
    return rows


def _number(amount: Amount) -> float | None:
    # The chart draws bars (display only); every figure a person reads comes from the table.
    return None if amount is None else float(amount.quantize(Decimal("0.01")))


def chart_data(breakdown: Breakdown, names: dict[str, str]) -> list[dict[str, Any]]:
    """One stacked bar chart per currency: the largest groups, then the rest as one series."""
    query = breakdown.query
    charts = []
    labels = [bucket_label(bucket, query.granularity) for bucket in breakdown.buckets]
    ranges = bucket_params(breakdown)
    for currency in breakdown.currencies:
        rows = [row for row in breakdown.rows if row.currency == currency]
        shown, rest = rows[:CHART_SERIES], rows[CHART_SERIES:]
        datasets = []
        for row in shown:
            narrowed = (
                query if row.group is None or not query.group_by else query.with_filter(query.group_by, row.group)
            )
            row_links = RangeLinks(narrowed) if row.group is not None else None
            links = [row_links.with_range(params) if row_links is not None else None for params in ranges]
            label = group_label(query.group_by, row.group, names)
            datasets.append({"label": label, "data": [_number(a) for a in row.amounts], "links": links})
        if rest:
            sums: list[Amount] = []
            for i in range(len(breakdown.buckets)):
                total: Amount = Decimal(0)
                for row in rest:
                    total = amount_add(total, row.amounts[i])
                sums.append(total)
            datasets.append({"label": "Other", "data": [_number(a) for a in sums], "links": [None] * len(sums)})
        charts.append({"currency": currency, "labels": labels, "datasets": datasets})
    return charts


def form_options(query: CostQuery, keys: list[str]) -> dict[str, Any]:
    dimensions = [(d.value, d.label) for d in Dimension] + [(f"tag:{k}", f"Tag: {k}") for k in keys]
    return {
        "presets": [(p.value, label) for p, label in PRESET_LABELS.items()],
        "granularities": [(g.value, g.value.title()) for g in Granularity],
        "dimensions": dimensions,
        "bases": list(CostBasis.choices),
        "basis_label": dict(CostBasis.choices)[query.basis],
        "filters": [
            {
                "label": dimension_label(f.dimension),
                "mode": "excluding" if f.exclude else "only",
                "values": [v or "(none)" for v in f.values],
                "remove_url": explorer_url(_without(query, f.dimension, f.exclude)),
            }
            for f in query.filters
        ],
    }


def _without(query: CostQuery, dimension: str, exclude: bool) -> CostQuery:
    from dataclasses import replace

    kept = tuple(f for f in query.filters if not (f.dimension == dimension and f.exclude == exclude))
    return replace(query, filters=kept)


def csv_rows(breakdown: Breakdown, names: dict[str, str]) -> list[list[Any]]:
    """The table as CSV rows: text columns as text, amounts as plain decimal numbers."""
    query = breakdown.query
    header = [
        dimension_label(query.group_by) if query.group_by else "Total",
        "Currency",
        *[b.isoformat() for b in breakdown.buckets],
        "Total",
    ]
    out: list[list[Any]] = [header]
    for row in breakdown.rows:
        label = group_label(query.group_by, row.group, names)
        out.append([label, row.currency, *row.amounts, row.total])
    for currency in breakdown.currencies:
        out.append(["Total", currency, *breakdown.bucket_totals[currency], breakdown.totals[currency]])
    return out


def export_filename(query: CostQuery) -> str:
    """A file name from the question; a tag key (free text) is reduced to safe characters."""
    group = re.sub(r"[^A-Za-z0-9_.-]+", "-", query.group_by or "total").strip("-.")[:60] or "tag"
    return f"costs_{query.start:%Y%m%d}-{query.end:%Y%m%d}_by_{group}_{query.basis}.csv"
