"""Deterministic demo bills: CUR 2.0 Parquet or legacy CUR CSV.gz, with manifests.

A fictional company (costs.demo.catalog) runs resources every day; usage follows weekly
seasonality and monthly growth, with noise and a few anomalies. Some production resources
are covered by Reserved Instances (DiscountedUsage + RIFee + upfront Fee) or a Savings Plan
(SavingsPlanCoveredUsage + SavingsPlanNegation + SavingsPlanRecurringFee); taxes, a support
fee, credits and a refund close each month. Built column-wise with Arrow compute, so
millions of rows take seconds and memory stays at one day's lines.
"""

from __future__ import annotations

import calendar
import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from costs.demo.catalog import ACCOUNTS, REGIONS, SERVICES, WEEKDAY_DRIVEN, Company, company_build
from costs.demo.formats import TAG_COLUMNS, ReportWriter, manifest_write, to_cur2, to_legacy
from costs.demo.lines import DYNAMIC_SCHEMA, monthly_lines, static_table

RI_UPFRONT_SHARE = 0.28  # of the on-demand hourly price, per hour, paid upfront for a year
RI_RECURRING_SHARE = 0.30
SP_DISCOUNT = 0.28
MONTHLY_GROWTH = 0.03
DEFAULT_RESOURCES = 400


@dataclass
class GeneratedPeriod:
    period: str  # YYYY-MM
    files: list[Path]
    manifest: Path
    rows: int
    expected_billed: Decimal
    expected_amortized: Decimal


@dataclass
class GenerationResult:
    format: str
    rows: int
    periods: list[GeneratedPeriod] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "rows": self.rows,
            "periods": [
                {
                    "period": p.period,
                    "rows": p.rows,
                    "files": [str(f) for f in p.files],
                    "manifest": str(p.manifest),
                    "expected_billed": str(p.expected_billed),
                    "expected_amortized": str(p.expected_amortized),
                }
                for p in self.periods
            ],
        }


def month_starts(start: datetime.date, months: int) -> list[datetime.date]:
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        out.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def default_start(months: int, today: datetime.date | None = None) -> datetime.date:
    """The first month of `months` months ending with the current one."""
    today = today or datetime.date.today()
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def _resources_for(rows: int, days: int) -> int:
    # ~1.3 rows per drawn resource-day once Savings Plan negations and the planted
    # resources (instance traffic, load balancers, ...) are counted; topped up from there.
    return max(20, math.ceil(rows / days / 1.3))


def cur_generate(
    *,
    out: Path,
    format: str = "cur2",
    months: int = 1,
    rows: int | None = None,
    seed: int = 7,
    start: datetime.date | None = None,
    until: datetime.date | None = None,
    workloads: int = 0,
) -> GenerationResult:
    """Write `months` billing periods of bills (about `rows` lines in total when given).

    `until` is the last day with usage, like a real mid-month delivery: later days of its
    month get no usage lines (the month's fees are still there, as AWS posts them up front).
    `workloads` > 0 adds a `workload` tag with that many values (benchmarks needing many series).
    """
    fmt = format.replace("-", "_")
    if fmt not in ("cur2", "cur_legacy"):
        raise ValueError(f"unknown format {format!r}; expected cur2 or cur-legacy")
    start = start or default_start(months)
    periods = month_starts(start, months)
    days_total = sum(calendar.monthrange(p.year, p.month)[1] for p in periods)
    resources = _resources_for(rows, days_total) if rows else DEFAULT_RESOURCES
    company = company_build(resources=resources, seed=seed, workloads=workloads)
    if rows:  # top up until the size asked for is reached (deterministically)
        while _estimate_rows(company, periods) < rows:
            resources = math.ceil(resources * 1.02) + 1
            company = company_build(resources=resources, seed=seed, workloads=workloads)
    result = GenerationResult(format=fmt, rows=0)
    statics = static_table(company)
    for index, period in enumerate(periods):
        generated = _period_write(out, fmt, company, statics, period, index, seed, until)
        result.periods.append(generated)
        result.rows += generated.rows
    return result


def _estimate_rows(company: Company, periods: list[datetime.date]) -> int:
    total = 0
    for period in periods:
        days = calendar.monthrange(period.year, period.month)[1]
        for r in company.resources:
            running = days if not r.stops_on_day else min(days, r.stops_on_day - 1)
            total += running * (2 if r.commitment == "sp" else 1)
    return total


def _period_write(
    out: Path,
    fmt: str,
    company: Company,
    statics: pa.Table,
    period: datetime.date,
    index: int,
    seed: int,
    until: datetime.date | None = None,
) -> GeneratedPeriod:
    days = calendar.monthrange(period.year, period.month)[1]
    period_end = period + datetime.timedelta(days=days)
    usage_days = days if until is None else max(0, min(days, (until - period).days + 1))
    folder = out / (f"BILLING_PERIOD={period:%Y-%m}" if fmt == "cur2" else f"{period:%Y%m%d}-{period_end:%Y%m%d}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("northwind-00001.snappy.parquet" if fmt == "cur2" else "northwind-cur-00001.csv.gz")
    shaped = _shape(statics, fmt, index)
    writer = ReportWriter(path, fmt)
    book = _Book()
    try:
        for day in range(1, usage_days + 1):
            table = _day_lines(company, statics, shaped, period, index, day, seed, book)
            writer.write(table)
        monthly = monthly_lines(company, statics, period, index, book)
        writer.write(_shape(monthly, fmt, index))
        book.add_monthly(monthly)
    finally:
        writer.close()
    manifest = manifest_write(folder, fmt, path, period, period_end, seed)
    return GeneratedPeriod(
        period=f"{period:%Y-%m}",
        files=[path],
        manifest=manifest,
        rows=writer.rows,
        expected_billed=book.billed,
        expected_amortized=book.amortized,
    )


def _shape(table: pa.Table, fmt: str, month_index: int) -> pa.Table:
    shaped = to_cur2(table) if fmt == "cur2" else to_legacy(table, month_index)
    return shaped.drop_columns([name for name in shaped.column_names if name.startswith("x_")])


class _Book:
    """Running sums the monthly lines need, and the totals the bill must reconcile to.

    The expectations are kept from the generator's own parameters (on-demand usage plus
    each commitment's amortized cost), not by re-adding the written lines.
    """

    def __init__(self) -> None:
        self.usage_by_account_service: dict[tuple[str, str], float] = {}
        self.sp_used = 0.0
        self.ri_hours: dict[int, int] = {}
        self.billed = Decimal(0)
        self.amortized = Decimal(0)

    def add_usage(self, table: pa.Table) -> None:
        usage = table.filter(pc.equal(table.column("line_item_line_item_type"), "Usage"))
        grouped = usage.group_by(["line_item_usage_account_id", "line_item_product_code"]).aggregate(
            [("line_item_unblended_cost", "sum")]
        )
        for row in grouped.to_pylist():
            key = (row["line_item_usage_account_id"], row["line_item_product_code"])
            self.usage_by_account_service[key] = (
                self.usage_by_account_service.get(key, 0.0) + row["line_item_unblended_cost_sum"]
            )
            amount = Decimal(repr(row["line_item_unblended_cost_sum"]))
            self.billed += amount
            self.amortized += amount

    def add_monthly(self, monthly: pa.Table) -> None:
        for row in monthly.select(
            ["line_item_line_item_type", "x_expected_billed", "x_expected_amortized"]
        ).to_pylist():
            self.billed += Decimal(row["x_expected_billed"])
            self.amortized += Decimal(row["x_expected_amortized"])


def _day_lines(
    company: Company,
    statics: pa.Table,
    shaped: pa.Table,
    period: datetime.date,
    month_index: int,
    day: int,
    seed: int,
    book: _Book,
) -> pa.Table:
    date = period.replace(day=day)
    weekday = date.weekday()
    running = pc.or_(
        pc.equal(statics.column("x_stops_on_day"), 0), pc.less(pa.scalar(day), statics.column("x_stops_on_day"))
    )
    rows = statics.filter(running)
    out = shaped.filter(running)
    n = rows.num_rows
    noise = pc.add(0.85, pc.multiply(pc.random(n, initializer=seed * 1_000_003 + month_index * 100 + day), 0.3))
    weekend = 0.62 if weekday >= 5 else 1.0
    season = pc.if_else(rows.column("x_weekday_driven"), weekend, 1.0)
    growth = (1 + MONTHLY_GROWTH) ** month_index * (1 + MONTHLY_GROWTH * day / 31)
    factor = pc.multiply(pc.multiply(noise, season), growth)
    for anomaly_month, anomaly_day, service, spike in company.anomalies:
        if anomaly_month == month_index and anomaly_day == day:
            factor = pc.if_else(pc.equal(rows.column("x_service"), service), pc.multiply(factor, spike), factor)
    hourly = rows.column("x_hourly")
    # Storage that only grows (log groups without retention): a steady daily increase, no noise.
    elapsed = _days_since_start(period, month_index) + day - 1
    trend = rows.column("x_trend")
    grown = pc.round(pc.add(rows.column("x_daily_units"), pc.multiply(trend, float(elapsed))), 6)
    steady = pc.if_else(pc.equal(trend, 0.0), rows.column("x_daily_units"), grown)
    amount = pc.if_else(hourly, steady, pc.round(pc.multiply(rows.column("x_daily_units"), factor), 6))
    price = rows.column("x_price")
    on_demand = pc.round(pc.multiply(amount, price), 10)
    kind = rows.column("line_item_line_item_type")
    is_ri = pc.equal(kind, "DiscountedUsage")
    is_sp = pc.equal(kind, "SavingsPlanCoveredUsage")
    ri_rate = pc.multiply(price, RI_UPFRONT_SHARE + RI_RECURRING_SHARE)
    zero = pa.scalar(0.0)
    dynamic = {
        "identity_line_item_id": pc.binary_join_element_wise(rows.column("x_line_id"), f"{date:%Y%m%d}", "-"),
        "identity_time_interval": pa.repeat(
            f"{date:%Y-%m-%d}T00:00:00Z/{date + datetime.timedelta(days=1):%Y-%m-%d}T00:00:00Z", n
        ),
        "bill_billing_period_start_date": pa.repeat(
            pa.scalar(datetime.datetime(period.year, period.month, 1), pa.timestamp("ms", tz="UTC")), n
        ),
        "bill_billing_period_end_date": pa.repeat(pa.scalar(_next_month(period), pa.timestamp("ms", tz="UTC")), n),
        "line_item_usage_start_date": pa.repeat(
            pa.scalar(datetime.datetime(date.year, date.month, date.day), pa.timestamp("ms", tz="UTC")), n
        ),
        "line_item_usage_end_date": pa.repeat(
            pa.scalar(
                datetime.datetime(date.year, date.month, date.day) + datetime.timedelta(days=1),
                pa.timestamp("ms", tz="UTC"),
            ),
            n,
        ),
        "line_item_usage_amount": amount,
        "line_item_unblended_cost": pc.if_else(is_ri, zero, on_demand),
        "pricing_public_on_demand_cost": on_demand,
        "reservation_effective_cost": pc.if_else(is_ri, pc.round(pc.multiply(amount, ri_rate), 10), zero),
        "reservation_amortized_upfront_cost_for_usage": pc.if_else(
            is_ri, pc.round(pc.multiply(amount, pc.multiply(price, RI_UPFRONT_SHARE)), 10), zero
        ),
        "reservation_recurring_fee_for_usage": pc.if_else(
            is_ri, pc.round(pc.multiply(amount, pc.multiply(price, RI_RECURRING_SHARE)), 10), zero
        ),
        "savings_plan_savings_plan_effective_cost": pc.if_else(
            is_sp, pc.round(pc.multiply(on_demand, 1 - SP_DISCOUNT), 10), zero
        ),
    }
    for name, values in dynamic.items():
        out = out.append_column(pa.field(name, DYNAMIC_SCHEMA.field(name).type), [values])
    accounting = pa.table(
        {
            "line_item_line_item_type": kind,
            "line_item_usage_account_id": rows.column("line_item_usage_account_id"),
            "line_item_product_code": rows.column("line_item_product_code"),
            "line_item_unblended_cost": dynamic["line_item_unblended_cost"],
        }
    )
    book.add_usage(accounting)
    book.sp_used += pc.sum(dynamic["savings_plan_savings_plan_effective_cost"]).as_py() or 0.0
    for resource_index in pc.filter(rows.column("x_index"), is_ri).to_pylist():
        book.ri_hours[resource_index] = book.ri_hours.get(resource_index, 0) + 24
    negation = _negations(out, is_sp)
    return pa.concat_tables([out, negation]) if negation.num_rows else out


def _negations(lines: pa.Table, is_sp: pa.Array) -> pa.Table:
    """Each Savings Plan covered line has a negation line cancelling its on-demand cost."""
    covered = lines.filter(is_sp)
    if covered.num_rows == 0:
        return covered
    names = covered.column_names
    kind_name = "line_item_line_item_type" if "line_item_line_item_type" in names else "lineItem/LineItemType"
    id_name = "identity_line_item_id" if "identity_line_item_id" in names else "identity/LineItemId"
    replace = {
        kind_name: pa.repeat("SavingsPlanNegation", covered.num_rows),
        id_name: pc.binary_join_element_wise(covered.column(id_name), "n", "-"),
        "line_item_unblended_cost": pc.negate(covered.column("line_item_unblended_cost")),
        "savings_plan_savings_plan_effective_cost": pa.repeat(0.0, covered.num_rows),
        "pricing_public_on_demand_cost": pa.repeat(0.0, covered.num_rows),
    }
    for name, values in replace.items():
        covered = covered.set_column(names.index(name), name, values)
    return covered


def _days_since_start(period: datetime.date, month_index: int) -> int:
    """Days from the first generated month's first day to `period` (the month_index-th month)."""
    year, month = period.year, period.month - month_index
    while month < 1:
        year, month = year - 1, month + 12
    return (period - datetime.date(year, month, 1)).days


def _next_month(period: datetime.date) -> datetime.datetime:
    nxt = month_starts(period, 2)[1]
    return datetime.datetime(nxt.year, nxt.month, 1)


__all__ = ["ACCOUNTS", "REGIONS", "SERVICES", "WEEKDAY_DRIVEN", "TAG_COLUMNS", "cur_generate", "GenerationResult"]
