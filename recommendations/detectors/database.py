"""RDS: previous-generation instance classes, idle databases, gp2 storage."""

from __future__ import annotations

from decimal import Decimal

from costs.selectors.resources import ResourceUsage
from recommendations.detectors.base import (
    ZERO,
    Candidate,
    DetectorInput,
    Evidence,
    cents,
    group_by_resource,
    money,
    on_demand_cost,
    per_month,
)
from recommendations.pricing import InstanceType, PriceBook

# Instance families RDS offers for PostgreSQL/MySQL/MariaDB (a target must be one of them).
RDS_FAMILIES = {"m5", "m6g", "m6i", "m7g", "m7i", "m8g", "r5", "r6g", "r6i", "r7g", "r7i", "r8g", "t3", "t4g"}


def is_db_hours(row: ResourceUsage) -> bool:
    return "Usage:db." in row.usage_type and ("InstanceUsage" in row.usage_type or "Multi-AZUsage" in row.usage_type)


def db_class(row: ResourceUsage) -> str:
    return row.usage_type.rsplit(":", 1)[-1]


def db_name(resource: str) -> str:
    return resource.rsplit(":", 1)[-1]


def _rds_target(current: InstanceType, prices: PriceBook) -> InstanceType | None:
    options = [
        other
        for other in prices.instances.values()
        if other.family in RDS_FAMILIES
        and other.category == current.category
        and other.size == current.size
        and other.vcpu >= current.vcpu
        and other.memory_gib >= current.memory_gib
        and other.hourly_usd < current.hourly_usd
    ]
    return min(options, key=lambda o: (o.hourly_usd, -o.generation, o.name)) if options else None


def rds_previous_generation(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """db.m4/db.r4/db.t2 and older: a current class of the same size costs less and runs faster."""
    found = []
    for (account, resource), rows in group_by_resource(filter(is_db_hours, inputs.usage)).items():
        if not any(inputs.is_current(row) for row in rows):
            continue
        klass = db_class(rows[0])
        current = prices.instance(klass.removeprefix("db."))
        if current is None or not current.is_previous_generation:
            continue
        target = _rds_target(current, prices)
        if target is None:
            continue
        days = inputs.days_observed(rows)
        ratio = target.hourly_usd / current.hourly_usd
        on_demand = on_demand_cost(rows)
        savings = per_month(on_demand, days) * (1 - ratio)
        if savings < inputs.thresholds.min_monthly_savings:
            continue
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        target_class = f"db.{target.name}"
        found.append(
            Candidate(
                detector="rds_previous_generation",
                category="database",
                title=f"Move database {db_name(resource)} from {klass} to {target_class}",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type=f"RDS instance {klass}",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=(
                    f"On-demand cost {money(on_demand)} over {days} days = {money(per_month(on_demand, days))} a month. "
                    f"RDS prices are not in our tables, so the saving uses the EC2 list-price ratio of the "
                    f"equivalent types ({target.name} ${target.hourly_usd:f}/h vs {current.name} "
                    f"${current.hourly_usd:f}/h = {ratio.quantize(Decimal('0.0001')):f}): {money(savings)} a month."
                ),
                confidence="medium",
                effort="medium",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"current_class": klass, "target_class": target_class},
                confirm_with=(
                    "The RDS price list for both classes in this region and engine (the ratio of the EC2 "
                    "equivalents is close but not exact), and that the engine version supports the new class."
                ),
                evidence=tuple(Evidence.of(row, f"Instance hours ({klass})") for row in rows),
            )
        )
    return found


def rds_idle(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Databases with no connection in the observed period (CloudWatch DatabaseConnections, when readable)."""
    connections = inputs.signals.db_max_connections
    if connections is None:
        return []  # the bill has no signal for connections
    found = []
    for (account, resource), rows in group_by_resource(filter(is_db_hours, inputs.usage)).items():
        if not any(inputs.is_current(row) for row in rows):
            continue
        peak = connections.get(db_name(resource))
        if peak is None or peak > 0:
            continue
        days = inputs.days_observed(rows)
        if days < inputs.thresholds.min_observed_days:
            continue
        savings = per_month(on_demand_cost(rows), days)
        if savings < inputs.thresholds.min_monthly_savings:
            continue
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        found.append(
            Candidate(
                detector="rds_idle",
                category="database",
                title=f"Stop or delete idle database {db_name(resource)}",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type=f"RDS instance {db_class(rows[0])}",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=(
                    f"CloudWatch shows no database connection over the last {days} days. Its on-demand instance "
                    f"cost is {money(savings)} a month (storage and backups stay until it is deleted)."
                ),
                confidence="high",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"max_connections": "0", "days_observed": str(days)},
                evidence=tuple(Evidence.of(row, "Instance hours") for row in rows),
            )
        )
    return found


def rds_gp2(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """RDS gp2 storage where gp3 lists for less per GB in the region (in us-east-1 they cost the same)."""
    found = []
    storage = (row for row in inputs.usage if "GP2-Storage" in row.usage_type)
    for (account, resource), rows in group_by_resource(storage).items():
        if not any(inputs.is_current(row) for row in rows):
            continue
        ratio = prices.ratio("rds_gp3", "rds_gp2", rows[0].region)
        if ratio is None or ratio >= 1:
            continue
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        savings = cost * (1 - ratio)
        if savings < inputs.thresholds.min_monthly_savings:
            continue
        found.append(
            Candidate(
                detector="rds_gp2",
                category="database",
                title=f"Change storage of database {db_name(resource)} from gp2 to gp3",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type="RDS storage gp2",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=(
                    f"gp2 storage costs {money(cost)} a month; gp3 lists at {(ratio * 100).quantize(Decimal('0.1')):f}% "
                    f"of gp2 here: {money(savings)} a month."
                ),
                confidence="high",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"gp3_price_ratio": f"{ratio.quantize(Decimal('0.0001')):f}"},
                evidence=tuple(Evidence.of(row, "Storage (gp2)") for row in rows),
            )
        )
    return found


DETECTORS = (rds_previous_generation, rds_idle, rds_gp2)
