"""Daily rollups (and the daily services built from them): rebuilt for the replaced periods, in the
same transaction, from the line items or, during a delivery, from the usage summary's partial sums
(costs.ingest.summaries): the same sums over ~50x fewer rows (20,618 for a 949,009-line month;
2.3 s from the lines, see `rollups_rebuild`)."""

from __future__ import annotations

import datetime
from typing import Any

from costs.answers import bill_changed
from costs.vocabulary import BASES, ROLLUP_DIMENSIONS, CostBasis


def _basis_sum(basis: str) -> str:
    """A basis the export does not carry (no line of the source's period has it) stays NULL, never 0.

    Where the export carries it, a line without a value (a tax line's list cost) counts as 0.
    Billed cost is required of every line.
    """
    if basis == CostBasis.BILLED:
        return f"SUM({basis})"
    return f"CASE WHEN bool_or(COUNT({basis}) > 0) OVER export THEN COALESCE(SUM({basis}), 0) END"


def _partials_basis_sum(basis: str) -> str:
    """`_basis_sum` over partial sums: each carries its lines' sum and how many lines lacked the basis."""
    if basis == CostBasis.BILLED:
        return f"SUM({basis})"
    return f"CASE WHEN bool_or(SUM(row_count - {basis}_missing) > 0) OVER export THEN COALESCE(SUM({basis}), 0) END"


_REBUILD = f"""
INSERT INTO costs_dailycostrollup ({", ".join(ROLLUP_DIMENSIONS)}, {", ".join(BASES)}, row_count, is_estimate)
SELECT (charge_period_start AT TIME ZONE 'UTC')::date, source_id, billing_period, billing_account_id,
       COALESCE(sub_account_id, ''), COALESCE(service_name, ''), COALESCE(region_id, ''),
       charge_category, billing_currency,
       {", ".join(_basis_sum(basis) for basis in BASES)}, COUNT(*), false
FROM {{lines}}
WHERE source_id = %s AND billing_period = ANY(%s)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
WINDOW export AS (PARTITION BY source_id, billing_period)
"""

# The same rows from the usage summary's partial sums (one delivery's, in a temporary table): its keys
# are the rollup's and more, with '' for none as the rollup's COALESCEs.
_FROM_USAGE_PARTIALS = f"""
INSERT INTO costs_dailycostrollup ({", ".join(ROLLUP_DIMENSIONS)}, {", ".join(BASES)}, row_count, is_estimate)
SELECT day, %s, billing_period, billing_account_id, sub_account_id, service_name, region, charge_category, currency,
       {", ".join(_partials_basis_sum(basis) for basis in BASES)}, SUM(row_count), false
FROM {{partials}}
GROUP BY day, billing_period, billing_account_id, sub_account_id, service_name, region, charge_category, currency
WINDOW export AS (PARTITION BY billing_period)
"""

# The daily services table is the bill's rollups without sub account and region (a basis an export
# lacks is NULL in every rollup row of that export, so its sum stays NULL). The migration that
# made the table ran the same statement over every rollup.
SERVICES_FROM_ROLLUPS = f"""
INSERT INTO costs_dailyservicecost (day, source_id, billing_period, billing_account_id, service_name,
                                    charge_category, currency, {", ".join(BASES)}, row_count)
SELECT day, source_id, billing_period, billing_account_id, service_name, charge_category, currency,
       {", ".join(f"SUM({basis})" for basis in BASES)}, SUM(row_count)
FROM costs_dailycostrollup
WHERE NOT is_estimate"""

# Cost Explorer estimates stand in for days no bill covers yet; once a bill covers a day
# for an account, the estimate for it goes.
_DROP_ESTIMATES = """
DELETE FROM costs_dailycostrollup AS estimate
USING (
    SELECT DISTINCT day, billing_account_id FROM costs_dailycostrollup
    WHERE source_id = %s AND billing_period = ANY(%s) AND NOT is_estimate
) AS covered
WHERE estimate.is_estimate AND estimate.day = covered.day
  AND estimate.billing_account_id = covered.billing_account_id
"""


def rollups_rebuild(
    cursor: Any,
    *,
    source_id: int,
    periods: list[datetime.date],
    lines: str = "costs_costlineitem",
    usage_partials: str | None = None,
) -> None:
    """Replace the (non-estimate) rollups of these periods from the current line items, or from `lines`
    (a delivery's own table of one period, before it becomes the period's partition), or from
    `usage_partials` (the delivery's partial sums of the usage summary, holding exactly `periods`)."""
    bill_changed()
    cursor.execute(
        "DELETE FROM costs_dailycostrollup WHERE source_id = %s AND billing_period = ANY(%s) AND NOT is_estimate",
        [source_id, periods],
    )
    if usage_partials:
        cursor.execute(_FROM_USAGE_PARTIALS.format(partials=usage_partials), [source_id])
    else:
        cursor.execute(_REBUILD.format(lines=lines), [source_id, periods])
    cursor.execute(_DROP_ESTIMATES, [source_id, periods])
    cursor.execute(
        "DELETE FROM costs_dailyservicecost WHERE source_id = %s AND billing_period = ANY(%s)", [source_id, periods]
    )
    cursor.execute(
        SERVICES_FROM_ROLLUPS + " AND source_id = %s AND billing_period = ANY(%s) GROUP BY 1, 2, 3, 4, 5, 6, 7",
        [source_id, periods],
    )
