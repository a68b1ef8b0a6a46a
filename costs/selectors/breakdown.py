"""Costs broken down by any dimension over buckets of time: the explorer's chart and table, and the API's.

A question (`CostQuery`) is answered from the smallest table that holds every dimension it
needs, so pages stay fast on large bills and only rare questions read line items:

1. daily services day x billing account x service x charge category (bill rows only)
   daily rollup    + sub account, region
2. daily usage     + provider, service category, usage type / SKU
3. daily tags      one tag key at a time x service, category, provider, accounts, charge category;
                   lines without the key are the rest of the total (taken from 1 or 2)
4. monthly resources  every dimension, resources and all tags, for whole calendar months
5. line items      anything else

Every path sums the same lines, so the figures agree whichever answers (tests check it).
Amounts are Decimal per currency (never summed across currencies); a basis some line lacks
is None ("not in this export"), never 0.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import connection

from costs.selectors.amounts import Amount, amount_add
from costs.selectors.query import (
    NONE_VALUE,
    CostQuery,
    DimensionFilter,
    Granularity,
    bucket_of,
    buckets,
    month_start,
    months_back,
    tag_key_of,
)
from costs.selectors.summary_tables import LINES, ROLLUP, SERVICES, TAGS, USAGE, SummarySource, plan

ROW_LIMIT = 25  # groups shown one by one; the rest are folded into "Other"


@dataclass(frozen=True)
class BreakdownRow:
    group: str | None  # the dimension's value ('' = none / untagged); None for "Other"
    currency: str
    amounts: tuple[Amount, ...]  # one per bucket
    total: Amount
    folded: int = 0  # for "Other": how many groups it holds


@dataclass(frozen=True)
class Breakdown:
    query: CostQuery
    buckets: tuple[datetime.date, ...]
    rows: tuple[BreakdownRow, ...]
    bucket_totals: dict[str, tuple[Amount, ...]]  # currency -> one per bucket
    totals: dict[str, Amount]  # currency -> the whole range
    read_from: str  # which table answered (shown on the page, checked by tests and the bench)
    currencies: tuple[str, ...] = field(default=())


@dataclass
class _Cell:
    amount: Decimal = Decimal(0)
    missing: int = 0

    def add(self, amount: Decimal | None, missing: int) -> None:
        self.amount += amount or Decimal(0)
        self.missing += missing

    @property
    def value(self) -> Amount:
        return None if self.missing else self.amount


def cost_breakdown(*, query: CostQuery, limit: int = ROW_LIMIT, read_from: SummarySource | None = None) -> Breakdown:
    """Cost per bucket and group-by value (and currency) for the question, with row and column totals.

    The `limit` largest groups (by absolute total) come one by one, largest first; the rest are
    one "Other" row per currency. With a tag group-by, lines without the tag are their own row.
    `read_from=LINES` forces a plain GROUP BY over line items (tests and the benchmark's baseline).
    """
    source = read_from or plan(query)
    if source is TAGS:
        cells, folded = _tag_cells(query, limit)
    else:
        cells, folded = _ranked_cells(source, query, limit)
    return _assemble(query, cells, folded, source.label)


def _bucket_sql(source: SummarySource, granularity: Granularity) -> str:
    if granularity == Granularity.DAY or source.grain == Granularity.MONTH:
        return source.time
    unit = "week" if granularity == Granularity.WEEK else "month"
    return f"date_trunc('{unit}', {source.time})::date"


def _dimension_sql(source: SummarySource, dimension: str, params: list[Any]) -> str:
    key = tag_key_of(dimension)
    if key is None:
        return source.columns[dimension]
    if source is TAGS:
        return "tag_value"
    params.append(key)
    return f"COALESCE({source.tags} ->> %s, '')"


def _billing_periods(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The billing periods whose bills charge any day of start..end (the daily services have a row per
    day, source and billing period that has line items)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT billing_period FROM costs_dailyservicecost WHERE day BETWEEN %s AND %s", [start, end]
        )
        return [row[0] for row in cursor.fetchall()]


def conditions_sql(
    source: SummarySource, query: CostQuery, filters: Iterable[DimensionFilter], params: list[Any]
) -> str:
    """The range and filter conditions (values always as parameters)."""
    conditions = [source.where]
    if source is TAGS:
        conditions.append("tag_key = %s")
        params.append(dict(query.extra)["tag_key"])
    if source is LINES:
        conditions.append("source_id IN (SELECT id FROM costs_costsource)")
        conditions.append("billing_period BETWEEN %s AND %s")
        params += [months_back(query.start, 1), month_start(query.end)]
        # Line items are partitioned by billing period: naming the periods that bill these days keeps
        # the others unread (a cost-ordered drill-down would walk a whole index of each to find nothing).
        conditions.append("billing_period = ANY(%s)")
        params.append(_billing_periods(query.start, query.end))
        conditions.append("charge_period_start >= %s AND charge_period_start < %s")
        params += [_midnight(query.start), _midnight(query.end + datetime.timedelta(days=1))]
    elif source.grain == Granularity.MONTH:
        conditions.append(f"{source.time} BETWEEN %s AND %s")
        params += [month_start(query.start), month_start(query.end)]
    else:
        conditions.append(f"{source.time} BETWEEN %s AND %s")
        params += [query.start, query.end]
    for f in filters:
        expression = _dimension_sql(source, f.dimension, params)
        params.append(list(f.values))
        if not f.exclude and NONE_VALUE not in f.values:
            # `COALESCE(col, '') = ANY(…)` keeps the same lines as `col = ANY(…)` when '' is not
            # asked for, but hides the column's statistics: the planner then guesses a handful of
            # rows and picks a plan that scans a quarter of the table (drill-down at 10M lines).
            expression = _BARE_COLUMN.sub(r"\1", expression)
        conditions.append(f"{'NOT ' if f.exclude else ''}({expression} = ANY(%s))")
    return " AND ".join(conditions)


_BARE_COLUMN = re.compile(r"^COALESCE\((\w+), ''\)$")


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _cells_sql(
    source: SummarySource, query: CostQuery, filters: Iterable[DimensionFilter], group: str | None, params: list[Any]
) -> str:
    basis = query.basis
    group_sql = "''" if group is None else _dimension_sql(source, group, params)
    where = conditions_sql(source, query, filters, params)
    currency = "billing_currency" if source is LINES else "currency"
    return (
        f"SELECT {_bucket_sql(source, query.granularity)} AS bucket, {group_sql} AS grp, {currency} AS currency, "
        f"SUM({basis}) AS amount, COUNT(*) - COUNT({basis}) AS missing "
        f"FROM {source.table} WHERE {where} GROUP BY 1, 2, 3"
    )


def _ranked_cells(
    source: SummarySource, query: CostQuery, limit: int, *, extra: Sequence[str] = ()
) -> tuple[dict[tuple[Any, ...], _Cell], dict[str, int]]:
    """(bucket, group, currency) -> cell for the `limit` largest groups, group None for the rest."""
    params: list[Any] = []
    cells_sql = _cells_sql(source, query, query.filters, query.group_by, params)
    sql = f"""
        WITH cells AS ({cells_sql}),
        ranks AS (
            SELECT grp, currency, COUNT(*) OVER (PARTITION BY currency) AS groups,
                   row_number() OVER (PARTITION BY currency ORDER BY abs(SUM(amount)) DESC NULLS LAST, grp) AS rank
            FROM cells GROUP BY grp, currency
        )
        SELECT c.bucket, CASE WHEN r.rank <= %s THEN c.grp END, c.currency, SUM(c.amount), SUM(c.missing),
               MAX(r.groups)
        FROM cells c JOIN ranks r USING (grp, currency) GROUP BY 1, 2, 3"""
    params.append(limit)
    cells: dict[tuple[Any, ...], _Cell] = {}
    folded: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bucket, group, currency, amount, missing, groups in cursor.fetchall():
            cells.setdefault((bucket, group, currency), _Cell()).add(amount, missing)
            folded[currency] = max(0, groups - limit)
    return cells, folded


def _plain_cells(
    source: SummarySource, query: CostQuery, filters: Iterable[DimensionFilter], group: str | None
) -> dict[tuple[Any, ...], _Cell]:
    params: list[Any] = []
    sql = _cells_sql(source, query, filters, group, params)
    cells: dict[tuple[Any, ...], _Cell] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bucket, grp, currency, amount, missing in cursor.fetchall():
            cells.setdefault((bucket, grp, currency), _Cell()).add(amount, missing)
    return cells


def _value_passes(filters: Sequence[DimensionFilter], value: str) -> bool:
    return all((value in f.values) != f.exclude for f in filters)


def _tag_cells(query: CostQuery, limit: int) -> tuple[dict[tuple[Any, ...], _Cell], dict[str, int]]:
    """One tag key from the daily tags table; lines without the key from the daily totals.

    Lines without the key are the total minus the lines with it (for the same other filters),
    so each tag key's rows add up to the bill whichever key is chosen.
    """
    (key,) = {k for k in map(tag_key_of, query.dimensions) if k is not None}
    tag_dimension = f"tag:{key}"
    on_key = [f for f in query.filters if f.dimension == tag_dimension]
    others = [f for f in query.filters if f.dimension != tag_dimension]
    present_values = _present_value_filters(on_key)
    untagged_passes = _value_passes(on_key, NONE_VALUE)
    # The totals the untagged lines are taken from: the smallest table with the other dimensions.
    needed = {f.dimension for f in others} | ({query.group_by} if query.group_by != tag_dimension else set())
    total_source = next((table for table in (SERVICES, ROLLUP) if needed <= set(table.columns)), USAGE)
    tagged_query = _on_key(query, key, others)

    if query.group_by == tag_dimension:
        passing = _with_filters(tagged_query, [*others, *present_values])
        cells, folded = _ranked_cells(TAGS, passing, limit)
        if untagged_passes:
            total = _plain_cells(total_source, query, others, None)
            tagged_all = _plain_cells(TAGS, tagged_query, tagged_query.filters, None)
            for (bucket, _group, currency), cell in _difference(total, tagged_all).items():
                cells[(bucket, NONE_VALUE, currency)] = cell
        return cells, folded

    group = query.group_by
    if not untagged_passes:
        passing = _with_filters(tagged_query, [*others, *present_values])
        return _ranked_cells(TAGS, passing, limit)
    failing = _negated(on_key)
    total = _plain_cells(total_source, query, others, group)
    excluded = _plain_cells(TAGS, tagged_query, [*others, *failing], group) if failing else {}
    return _rank_in_python(_difference(total, excluded), limit)


def _present_value_filters(on_key: Sequence[DimensionFilter]) -> list[DimensionFilter]:
    """The key's filters, applied to lines that carry the key ('' can only mean "without it")."""
    kept = []
    for f in on_key:
        values = tuple(v for v in f.values if v != NONE_VALUE)
        if values or not f.exclude:
            kept.append(DimensionFilter(f.dimension, values, f.exclude))
    return kept


def _negated(on_key: Sequence[DimensionFilter]) -> list[DimensionFilter]:
    """Conditions selecting the lines with the key whose value fails the key's filters."""
    include = [f for f in on_key if not f.exclude]
    exclude = [f for f in on_key if f.exclude]
    dimension = on_key[0].dimension
    if include and exclude:
        kept = set(include[0].values) - set(exclude[0].values) - {NONE_VALUE}
        return [DimensionFilter(dimension, tuple(sorted(kept)), exclude=True)]
    if include:
        return [DimensionFilter(dimension, tuple(v for v in include[0].values if v != NONE_VALUE), exclude=True)]
    values = tuple(v for v in exclude[0].values if v != NONE_VALUE)
    return [DimensionFilter(dimension, values)] if values else []


def _on_key(query: CostQuery, key: str, others: Sequence[DimensionFilter]) -> CostQuery:
    """The question restricted to daily-tag rows of `key` (the key itself is a condition)."""
    return replace(query, filters=tuple(others), extra=(("tag_key", key),))


def _with_filters(query: CostQuery, filters: Sequence[DimensionFilter]) -> CostQuery:
    return replace(query, filters=tuple(filters))


def _difference(
    total: dict[tuple[Any, ...], _Cell], minus: dict[tuple[Any, ...], _Cell]
) -> dict[tuple[Any, ...], _Cell]:
    out: dict[tuple[Any, ...], _Cell] = {}
    for key in set(total) | set(minus):
        a, b = total.get(key, _Cell()), minus.get(key, _Cell())
        cell = _Cell(a.amount - b.amount, a.missing + b.missing)
        if cell.amount or cell.missing:  # a group all of whose lines were taken away is no group
            out[key] = cell
    return out


def _rank_in_python(
    cells: dict[tuple[Any, ...], _Cell], limit: int
) -> tuple[dict[tuple[Any, ...], _Cell], dict[str, int]]:
    totals: dict[tuple[Any, str], Decimal] = {}
    for (_bucket, group, currency), cell in cells.items():
        totals[(group, currency)] = totals.get((group, currency), Decimal(0)) + cell.amount
    kept: set[tuple[Any, str]] = set()
    folded: dict[str, int] = {}
    for currency in {c for _g, c in totals}:
        ranked = sorted((k for k in totals if k[1] == currency), key=lambda k: (-abs(totals[k]), str(k[0])))
        kept |= set(ranked[:limit])
        folded[currency] = max(0, len(ranked) - limit)
    out: dict[tuple[Any, ...], _Cell] = {}
    for (bucket, group, currency), cell in cells.items():
        target = group if (group, currency) in kept else None
        merged = out.setdefault((bucket, target, currency), _Cell())
        merged.add(cell.amount, cell.missing)
    return out, folded


def _assemble(
    query: CostQuery, cells: dict[tuple[Any, ...], _Cell], folded: dict[str, int], read_from: str
) -> Breakdown:
    starts = tuple(buckets(query))
    index = {start: i for i, start in enumerate(starts)}
    groups: dict[tuple[Any, str], list[_Cell]] = {}
    for (bucket, group, currency), cell in cells.items():
        position = index.get(bucket_of(bucket, query.granularity))
        if position is None:  # a month row whose month starts before the range (whole months only)
            position = 0
        row = groups.get((group, currency))
        if row is None:  # not setdefault: that builds a whole row of cells for every cell
            row = groups[(group, currency)] = [_Cell() for _ in starts]
        row[position].add(cell.amount, cell.missing)
    currencies = tuple(sorted({currency for _group, currency in groups}))
    rows: list[BreakdownRow] = []
    bucket_totals: dict[str, tuple[Amount, ...]] = {}
    totals: dict[str, Amount] = {}
    for currency in currencies:
        mine = [(group, row) for (group, cur), row in groups.items() if cur == currency]
        named = [(g, r) for g, r in mine if g is not None]
        named.sort(key=lambda item: (-_row_total(item[1]), str(item[0])))
        other = [(g, r) for g, r in mine if g is None]
        for group, row in [*named, *other]:
            amounts = tuple(cell.value for cell in row)
            rows.append(
                BreakdownRow(
                    group=group,
                    currency=currency,
                    amounts=amounts,
                    total=_sum(amounts),
                    folded=folded.get(currency, 0) if group is None else 0,
                )
            )
        per_bucket = tuple(_sum(row[i].value for _g, row in mine) for i in range(len(starts)))
        bucket_totals[currency] = per_bucket
        totals[currency] = _sum(per_bucket)
    return Breakdown(query, starts, tuple(rows), bucket_totals, totals, read_from, currencies)


def _row_total(row: Sequence[_Cell]) -> Decimal:
    return sum((cell.amount for cell in row), Decimal(0))


def _sum(amounts: Iterable[Amount]) -> Amount:
    total: Amount = Decimal(0)
    for amount in amounts:
        total = amount_add(total, amount)
    return total
