"""Per-resource reads of the bill for the recommendations detectors (and anything else that needs them).

These read line items (the rollups have no resource ids), always bounded by a date window and
by billing period so the period index is used. Money is Decimal; effective cost is the amortized
cost (RI/SP spread onto the usage they cover).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

# Savings Plan negation lines cancel the on-demand cost of covered usage; they are not usage.
_NOT_USAGE = "SavingsPlanNegation"


@dataclass(frozen=True)
class ResourceUsage:
    """One resource's usage of one usage type over a window, split by commitment coverage."""

    account_id: str
    region: str
    resource_id: str
    service: str
    product_family: str
    usage_type: str
    operation: str
    unit: str
    coverage: str  # "" (on demand), "Reserved Instance" or "Savings Plan"
    currency: str
    quantity: Decimal
    effective_cost: Decimal
    billed_cost: Decimal
    list_cost: Decimal
    first_day: datetime.date
    last_day: datetime.date
    days: int  # days with usage
    first_day_quantity: Decimal
    last_day_quantity: Decimal

    @property
    def is_on_demand(self) -> bool:
        return not self.coverage


@dataclass(frozen=True)
class CommitmentUsage:
    """A Reserved Instance or Savings Plan over one billing period, on the amortized basis."""

    commitment_id: str
    commitment_type: str  # "Reserved Instance" | "Savings Plan"
    currency: str
    used_effective_cost: Decimal  # amortized cost of the usage it covered
    unused_effective_cost: Decimal  # amortized cost of what went unused
    covered_list_cost: Decimal  # what the covered usage would have cost on demand

    @property
    def utilization(self) -> Decimal:
        total = self.used_effective_cost + self.unused_effective_cost
        return self.used_effective_cost / total if total else Decimal(0)


@dataclass(frozen=True)
class DailySpend:
    day: datetime.date
    currency: str
    effective_cost: Decimal


def _period_floor(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _periods_from(start: datetime.date) -> datetime.date:
    # The billing period before the window's too: late charges can belong to the previous period.
    return _period_floor(_period_floor(start) - datetime.timedelta(days=1))


def usage_last_day() -> datetime.date | None:
    """The last day any bill has usage for (the end of the data, not today)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(day) FROM costs_dailycostrollup WHERE NOT is_estimate AND charge_category = 'Usage'")
        row = cursor.fetchone()
    return row[0] if row else None


def usage_first_day() -> datetime.date | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(day) FROM costs_dailycostrollup WHERE NOT is_estimate AND charge_category = 'Usage'")
        row = cursor.fetchone()
    return row[0] if row else None


_RESOURCE_USAGE = f"""
WITH daily AS (
    SELECT COALESCE(sub_account_id, billing_account_id) AS account_id,
           COALESCE(region_id, '') AS region, resource_id,
           COALESCE(service_name, '') AS service, COALESCE(resource_type, '') AS family,
           COALESCE(x_usage_type, '') AS usage_type, COALESCE(x_operation, '') AS operation,
           COALESCE(pricing_unit, consumed_unit, '') AS unit,
           CASE WHEN commitment_discount_status = 'Used' THEN COALESCE(commitment_discount_type, '') ELSE '' END
               AS coverage,
           billing_currency AS currency,
           (charge_period_start AT TIME ZONE 'UTC')::date AS day,
           SUM(COALESCE(consumed_quantity, pricing_quantity, 0)) AS quantity,
           SUM(COALESCE(effective_cost, billed_cost)) AS effective_cost,
           SUM(billed_cost) AS billed_cost,
           SUM(COALESCE(list_cost, 0)) AS list_cost
    FROM costs_costlineitem
    WHERE charge_category = 'Usage' AND resource_id IS NOT NULL AND resource_id <> ''
      AND COALESCE(x_line_item_type, '') <> '{_NOT_USAGE}'
      AND billing_period >= %s AND billing_period <= %s
      AND charge_period_start >= %s AND charge_period_start < %s
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
)
SELECT account_id, region, resource_id, service, family, usage_type, operation, unit, coverage, currency,
       SUM(quantity), SUM(effective_cost), SUM(billed_cost), SUM(list_cost), MIN(day), MAX(day), COUNT(*),
       (array_agg(quantity ORDER BY day))[1], (array_agg(quantity ORDER BY day DESC))[1]
FROM daily
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ORDER BY resource_id, usage_type, coverage
"""


def resource_usage(*, start: datetime.date, end: datetime.date) -> list[ResourceUsage]:
    """Usage and cost per resource, usage type and coverage for the days start..end (inclusive)."""
    until = end + datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(_RESOURCE_USAGE, [_periods_from(start), end, start, until])
        rows = cursor.fetchall()
    return [
        ResourceUsage(
            account_id=r[0],
            region=r[1],
            resource_id=r[2],
            service=r[3],
            product_family=r[4],
            usage_type=r[5],
            operation=r[6],
            unit=r[7],
            coverage=r[8],
            currency=r[9],
            quantity=r[10] or Decimal(0),
            effective_cost=r[11] or Decimal(0),
            billed_cost=r[12] or Decimal(0),
            list_cost=r[13] or Decimal(0),
            first_day=r[14],
            last_day=r[15],
            days=int(r[16]),
            first_day_quantity=r[17] or Decimal(0),
            last_day_quantity=r[18] or Decimal(0),
        )
        for r in rows
    ]


def resources_first_seen(*, resource_ids: list[str]) -> dict[str, datetime.date]:
    """The first day each resource appears in any bill (its age as far as the bill knows)."""
    if not resource_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resource_id, MIN((charge_period_start AT TIME ZONE 'UTC')::date) FROM costs_costlineitem "
            "WHERE resource_id = ANY(%s) AND charge_category = 'Usage' GROUP BY resource_id",
            [list(resource_ids)],
        )
        return {row[0]: row[1] for row in cursor.fetchall()}


_COMMITMENTS = f"""
SELECT commitment_discount_id, MAX(commitment_discount_type), billing_currency,
       SUM(CASE WHEN commitment_discount_status = 'Used' THEN COALESCE(effective_cost, 0) ELSE 0 END),
       SUM(CASE WHEN commitment_discount_status = 'Unused'
                  OR (charge_category = 'Purchase' AND COALESCE(x_line_item_type, '') IN ('RIFee', 'SavingsPlanRecurringFee'))
                THEN COALESCE(effective_cost, 0) ELSE 0 END),
       SUM(CASE WHEN commitment_discount_status = 'Used' THEN COALESCE(list_cost, 0) ELSE 0 END)
FROM costs_costlineitem
WHERE billing_period = %s AND commitment_discount_id IS NOT NULL AND commitment_discount_id <> ''
  AND COALESCE(x_line_item_type, '') <> '{_NOT_USAGE}'
GROUP BY commitment_discount_id, billing_currency
ORDER BY commitment_discount_id
"""


def commitment_usage(*, billing_period: datetime.date) -> list[CommitmentUsage]:
    """Each RI and Savings Plan's used and unused amortized cost in one billing period."""
    with connection.cursor() as cursor:
        cursor.execute(_COMMITMENTS, [billing_period])
        rows = cursor.fetchall()
    return [
        CommitmentUsage(
            commitment_id=r[0],
            commitment_type=r[1] or "",
            currency=r[2],
            used_effective_cost=r[3] or Decimal(0),
            unused_effective_cost=r[4] or Decimal(0),
            covered_list_cost=r[5] or Decimal(0),
        )
        for r in rows
    ]


def last_complete_billing_period(*, today: datetime.date) -> datetime.date | None:
    """The latest billing period that ended before `today` and has usage in a bill."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(billing_period) FROM costs_dailycostrollup WHERE NOT is_estimate AND billing_period < %s",
            [_period_floor(today)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# Usage a Compute Savings Plan applies to: EC2 instances, Fargate and Lambda duration.
_SP_ELIGIBLE = ("%BoxUsage%", "%Fargate-vCPU-Hours%", "%Fargate-GB-Hours%", "%Lambda-GB-Second%")


def on_demand_compute_daily(*, start: datetime.date, end: datetime.date) -> list[DailySpend]:
    """Daily on-demand spend (effective cost) on usage a Compute Savings Plan could cover."""
    until = end + datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (charge_period_start AT TIME ZONE 'UTC')::date, billing_currency, "
            "SUM(COALESCE(effective_cost, billed_cost)) FROM costs_costlineitem "
            "WHERE charge_category = 'Usage' AND pricing_category = 'Standard' "
            "AND x_usage_type LIKE ANY(%s) AND billing_period >= %s AND billing_period <= %s "
            "AND charge_period_start >= %s AND charge_period_start < %s GROUP BY 1, 2 ORDER BY 1, 2",
            [list(_SP_ELIGIBLE), _periods_from(start), end, start, until],
        )
        return [DailySpend(day=r[0], currency=r[1], effective_cost=r[2] or Decimal(0)) for r in cursor.fetchall()]


def resources_cost(
    *,
    resource_ids: list[str],
    start: datetime.date,
    end: datetime.date,
    usage_type_prefixes: list[str] | None = None,
) -> dict[str, Decimal]:
    """Effective cost per resource for the days start..end (inclusive); absent resources cost nothing.

    `usage_type_prefixes` narrows it to usage types starting with one of them (e.g. `BoxUsage`, so a
    resized instance is compared on its instance hours only, whatever its new type).
    """
    if not resource_ids:
        return {}
    until = end + datetime.timedelta(days=1)
    patterns = [f"{prefix}%" for prefix in usage_type_prefixes] if usage_type_prefixes else ["%"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resource_id, SUM(COALESCE(effective_cost, billed_cost)) FROM costs_costlineitem "
            "WHERE resource_id = ANY(%s) AND charge_category = 'Usage' "
            f"AND COALESCE(x_line_item_type, '') <> '{_NOT_USAGE}' AND COALESCE(x_usage_type, '') LIKE ANY(%s) "
            "AND billing_period >= %s AND billing_period <= %s "
            "AND charge_period_start >= %s AND charge_period_start < %s GROUP BY resource_id",
            [list(resource_ids), patterns, _periods_from(start), end, start, until],
        )
        return {row[0]: row[1] or Decimal(0) for row in cursor.fetchall()}
