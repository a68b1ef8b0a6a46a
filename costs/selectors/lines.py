"""The line items behind a breakdown: drill-down at resource level, sorted by cost, cursor-paginated.

Keyset pagination on (cost, id): a page costs the same wherever it is in the list, and rows
do not shift between pages when new deliveries land elsewhere.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from costs.selectors.breakdown import conditions_sql
from costs.selectors.query import CostQuery, QueryError
from costs.selectors.summary_tables import LINES

PAGE_SIZE = 50


@dataclass(frozen=True)
class LineItem:
    id: int
    day: datetime.date
    billing_period: datetime.date
    billing_account_id: str
    sub_account_id: str
    provider_name: str
    service_name: str
    region: str
    resource_id: str
    usage_type: str
    charge_category: str
    charge_description: str
    pricing_quantity: Decimal | None
    pricing_unit: str
    currency: str
    cost: Decimal | None  # in the question's basis; None where the bill lacks it


@dataclass(frozen=True)
class LineItemPage:
    items: tuple[LineItem, ...]
    next_cursor: str | None
    descending: bool


def cursor_encode(cost: Decimal | None, line_id: int) -> str:
    raw = json.dumps([None if cost is None else str(cost), line_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[Decimal | None, int]:
    try:
        cost, line_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return (None if cost is None else Decimal(cost)), int(line_id)
    except (ValueError, TypeError, ArithmeticError):
        raise QueryError("cursor", "not a page link of this list; start again from the first page") from None


_COLUMNS = """id, (charge_period_start AT TIME ZONE 'UTC')::date, billing_period, billing_account_id,
    COALESCE(sub_account_id, ''), COALESCE(provider_name, ''), COALESCE(service_name, ''), COALESCE(region_id, ''),
    COALESCE(resource_id, ''), COALESCE(NULLIF(x_usage_type, ''), sku_id, ''), charge_category,
    COALESCE(charge_description, ''), pricing_quantity, COALESCE(pricing_unit, ''), billing_currency"""


def cost_line_items(
    *, query: CostQuery, cursor: str | None = None, descending: bool = True, page_size: int = PAGE_SIZE
) -> LineItemPage:
    """One page of the line items that make up the question's figures, most expensive first.

    Lines without the basis (None) come after all priced lines. `cursor` is `next_cursor` of
    the previous page.
    """
    basis = query.basis
    params: list[Any] = []
    where = conditions_sql(LINES, query, query.filters, params)
    order = "DESC" if descending else "ASC"
    # NULL costs sort last either way; spelled as NULLS LAST so the (cost, id) index serves it.
    sort_key = f"{basis} {order} NULLS LAST, id {order}"
    if cursor:
        cost, line_id = cursor_decode(cursor)
        compare = "<" if descending else ">"
        if cost is None:
            where += f" AND {basis} IS NULL AND id {compare} %s"
            params.append(line_id)
        else:
            where += f" AND ({basis} IS NULL OR ({basis}, id) {compare} (%s, %s))"
            params += [cost, line_id]
    sql = f"SELECT {_COLUMNS}, {basis} FROM costs_costlineitem WHERE {where} ORDER BY {sort_key} LIMIT %s"
    params.append(page_size + 1)
    with connection.cursor() as db:
        db.execute(sql, params)
        rows = db.fetchall()
    items = tuple(LineItem(*row) for row in rows[:page_size])
    next_cursor = cursor_encode(items[-1].cost, items[-1].id) if len(rows) > page_size else None
    return LineItemPage(items, next_cursor, descending)


def account_names() -> dict[str, str]:
    """Account id -> the name bills gave it (for labels)."""
    with connection.cursor() as db:
        db.execute("SELECT account_id, name FROM costs_linkedaccount WHERE name <> ''")
        return dict(db.fetchall())


def tag_keys() -> list[str]:
    """Every tag key the bills carry, sorted (a loose index scan: one probe per key)."""
    sql = """
        WITH RECURSIVE keys AS (
            (SELECT tag_key FROM costs_dailytagcost ORDER BY tag_key LIMIT 1)
            UNION ALL
            SELECT (SELECT tag_key FROM costs_dailytagcost WHERE tag_key > keys.tag_key ORDER BY tag_key LIMIT 1)
            FROM keys WHERE keys.tag_key IS NOT NULL
        )
        SELECT tag_key FROM keys WHERE tag_key IS NOT NULL"""
    with connection.cursor() as db:
        db.execute(sql)
        return [row[0] for row in db.fetchall()]


def bill_days() -> tuple[datetime.date, datetime.date] | None:
    """The first and last day any bill (not an estimate) has charges for."""
    with connection.cursor() as db:
        db.execute("SELECT MIN(day), MAX(day) FROM costs_dailycostrollup WHERE NOT is_estimate")
        first, last = db.fetchone()
    return (first, last) if first else None
