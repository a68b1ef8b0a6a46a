"""EC2: idle instances, and modernization (previous generation → current, x86 → Graviton)."""

from __future__ import annotations

from decimal import Decimal

from costs.selectors.resources import ResourceUsage
from recommendations.detectors.base import (
    ZERO,
    Candidate,
    DetectorInput,
    Evidence,
    amount,
    cents,
    group_by_resource,
    instance_id,
    money,
    on_demand_cost,
    per_month,
)
from recommendations.pricing import InstanceType, PriceBook

CPU_CONFIRMATION = (
    "CloudWatch CPUUtilization (daily average below {cpu}% on every day of the last 14) and NetworkIn/NetworkOut "
    "for this instance; the bill shows running hours and data transfer, not CPU. Let our read-only role read "
    "CloudWatch metrics and the next run checks it."
)


def is_instance_hours(row: ResourceUsage) -> bool:
    return "BoxUsage" in row.usage_type


def is_network(row: ResourceUsage) -> bool:
    return "DataTransfer" in row.usage_type or row.usage_type.endswith("-Bytes")


def instance_type_of(row: ResourceUsage) -> str:
    # Legacy BoxUsage lines without a type are m1.small, as AWS documents.
    return row.usage_type.split(":", 1)[1] if ":" in row.usage_type else "m1.small"


def ec2_idle(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Always-on instances with (almost) no network traffic, or low CPU when CloudWatch says so."""
    limits = inputs.thresholds
    cpu = inputs.signals.cpu_max_daily_average
    instances = {
        key: rows for key, rows in group_by_resource(inputs.usage).items() if any(map(is_instance_hours, rows))
    }
    # A bill without per-instance data transfer lines cannot tell idle from busy.
    bill_has_network = any(is_network(row) for rows in instances.values() for row in rows)
    found = []
    for (account, resource), rows in instances.items():
        hours = [row for row in rows if is_instance_hours(row)]
        if not any(inputs.is_current(row) for row in hours):
            continue
        days = inputs.days_observed(hours)
        running = sum((row.quantity for row in hours), ZERO)
        if days < limits.min_observed_days or running < Decimal(days * 24) * Decimal("0.9"):
            continue  # young, or scheduled on and off: not an always-on idle box
        network_gb = sum((row.quantity for row in rows if is_network(row)), ZERO)
        gb_per_day = network_gb / days
        cpu_value = cpu.get(instance_id(resource)) if cpu is not None else None
        if bill_has_network and gb_per_day >= limits.idle_network_gb_per_day:
            continue
        if cpu_value is not None:
            if cpu_value >= limits.idle_cpu_percent:
                continue
            confidence, confirm = "high", ""
        elif bill_has_network:
            confidence, confirm = "medium", CPU_CONFIRMATION.format(cpu=limits.idle_cpu_percent)
        else:
            continue
        savings = per_month(on_demand_cost(hours), days)
        if savings < limits.min_monthly_savings:
            continue
        cost = per_month(sum((row.effective_cost for row in hours), ZERO), days)
        itype = instance_type_of(hours[0])
        facts = {
            "instance_type": itype,
            "running_hours": f"{amount(running)}",
            "days_observed": str(days),
            "network_gb_per_day": f"{gb_per_day.quantize(Decimal('0.001')):f}",
            "monthly_on_demand_cost": money(savings),
        }
        if cpu_value is not None:
            facts["cpu_max_daily_average_percent"] = f"{cpu_value:f}"
        method = (
            f"{amount(running)} running hours over {days} days with {amount(network_gb)} GB of data transfer "
            f"({gb_per_day.quantize(Decimal('0.001')):f} GB/day)"
            + (f" and CPU at most {cpu_value:f}% (CloudWatch daily average)" if cpu_value is not None else "")
            + f". Stopping it saves its on-demand cost: {money(on_demand_cost(hours))} over {days} days "
            f"× 730 / ({days} × 24) = {money(savings)} a month (usage covered by a commitment is not counted)."
        )
        evidence = tuple(Evidence.of(row, "Instance hours") for row in hours) + tuple(
            Evidence.of(row, "Data transfer") for row in rows if is_network(row)
        )
        found.append(
            Candidate(
                detector="ec2_idle",
                category="compute",
                title=f"Stop idle EC2 instance {instance_id(resource)} ({itype})",
                account_id=account,
                region=hours[0].region,
                resource_id=resource,
                resource_type=f"EC2 instance {itype}",
                currency=hours[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=method,
                confidence=confidence,
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts=facts,
                confirm_with=confirm,
                evidence=evidence,
            )
        )
    return found


def _modern_target(current: InstanceType, prices: PriceBook) -> InstanceType | None:
    """The cheapest current-generation type of the same category and size with at least the same vCPU and memory.

    Graviton instances only move to Graviton (their software is already arm64).
    """
    options = [
        other
        for other in prices.instances.values()
        if other.is_plain
        and other.category == current.category
        and other.size == current.size
        and other.is_modern
        and other.vcpu >= current.vcpu
        and other.memory_gib >= current.memory_gib
        and other.hourly_usd < current.hourly_usd
        and (other.generation > current.generation or other.is_graviton != current.is_graviton)
        and (other.is_graviton or not current.is_graviton)
    ]
    if not options:
        return None
    return min(options, key=lambda other: (other.hourly_usd, -other.generation, other.name))


def ec2_modernize(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Previous-generation or x86 instances with a cheaper current equivalent (price ratio from the EC2 table)."""
    limits = inputs.thresholds
    found = []
    for (account, resource), rows in group_by_resource(inputs.usage).items():
        hours = [row for row in rows if is_instance_hours(row)]
        if not hours or not any(inputs.is_current(row) for row in hours):
            continue
        itype = instance_type_of(hours[0])
        current = prices.instance(itype)
        if current is None:
            continue
        target = _modern_target(current, prices)
        if target is None:
            continue
        days = inputs.days_observed(hours)
        ratio = target.hourly_usd / current.hourly_usd
        on_demand = on_demand_cost(hours)
        savings = per_month(on_demand, days) * (1 - ratio)
        if savings < limits.min_monthly_savings:
            continue
        cost = per_month(sum((row.effective_cost for row in hours), ZERO), days)
        if current.is_previous_generation:
            kind, effort = "previous generation", "medium"
        elif target.is_graviton and not current.is_graviton:
            kind, effort = "Graviton", "medium"
        else:
            kind, effort = "newer generation", "low"
        percent = ((1 - ratio) * 100).quantize(Decimal("0.1"))
        method = (
            f"On-demand cost {money(on_demand)} over {days} days = {money(per_month(on_demand, days))} a month; "
            f"{target.name} lists at ${target.hourly_usd:f}/h against ${current.hourly_usd:f}/h for {itype} "
            f"(us-east-1 Linux on-demand; the ratio {ratio.quantize(Decimal('0.0001')):f} applies in every region), "
            f"so the month costs {percent:f}% less: {money(savings)}."
        )
        found.append(
            Candidate(
                detector="ec2_modernize",
                category="compute",
                title=f"Move {instance_id(resource)} from {itype} to {target.name} ({kind})",
                account_id=account,
                region=hours[0].region,
                resource_id=resource,
                resource_type=f"EC2 instance {itype}",
                currency=hours[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=method,
                confidence="high" if not target.is_graviton or current.is_graviton else "medium",
                effort=effort,
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "current_type": itype,
                    "target_type": target.name,
                    "target_architecture": target.arch,
                    "current_hourly_list_usd": f"{current.hourly_usd:f}",
                    "target_hourly_list_usd": f"{target.hourly_usd:f}",
                    "saving_percent": f"{percent:f}",
                },
                confirm_with=(
                    "That the workload runs on arm64 (Graviton): container images and binaries built for arm64."
                    if target.is_graviton and not current.is_graviton
                    else ""
                ),
                evidence=tuple(Evidence.of(row, f"Instance hours ({itype})") for row in hours),
            )
        )
    return found


DETECTORS = (ec2_idle, ec2_modernize)
