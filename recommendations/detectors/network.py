"""Idle load balancers, idle Elastic IPs, NAT gateway data processing a VPC gateway endpoint would avoid."""

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
    money,
    per_month,
)
from recommendations.pricing import PriceBook


def _short(resource: str) -> str:
    return resource.rsplit(":", 1)[-1]


def _is_lb(row: ResourceUsage) -> bool:
    return "LoadBalancing" in row.service.replace(" ", "") or row.service == "AWSELB"


def elb_idle(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Load balancers billed every hour that processed (almost) nothing: no LCUs, no bytes."""
    limits = inputs.thresholds
    found = []
    for (account, resource), rows in group_by_resource(filter(_is_lb, inputs.usage)).items():
        hours = [row for row in rows if "LoadBalancerUsage" in row.usage_type]
        if not hours or not any(inputs.is_current(row) for row in hours):
            continue
        days = inputs.days_observed(hours)
        if days < limits.min_observed_days:
            continue
        running = sum((row.quantity for row in hours), ZERO)
        lcus = sum((row.quantity for row in rows if "LCUUsage" in row.usage_type), ZERO)
        processed_gb = sum((row.quantity for row in rows if "DataProcessing-Bytes" in row.usage_type), ZERO)
        lcu_per_hour = lcus / running if running else ZERO
        if lcu_per_hour >= Decimal("0.01") or processed_gb / days >= limits.idle_lb_processed_gb_per_day:
            continue
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        if cost < limits.min_monthly_savings:
            continue
        found.append(
            Candidate(
                detector="elb_idle",
                category="network",
                title=f"Delete idle load balancer {_short(resource)}",
                account_id=account,
                region=hours[0].region,
                resource_id=resource,
                resource_type="Elastic Load Balancer",
                currency=hours[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(cost),
                method=(
                    f"{amount(running)} load balancer hours over {days} days with {amount(lcus)} LCU-hours and {amount(processed_gb)} GB "
                    f"processed. Deleting it saves its whole cost: {money(cost)} a month."
                ),
                confidence="medium",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "load_balancer_hours": f"{amount(running)}",
                    "lcu_hours": f"{amount(lcus)}",
                    "processed_gb": f"{amount(processed_gb)}",
                },
                confirm_with="CloudWatch RequestCount / ActiveFlowCount at zero and no DNS records pointing to it.",
                evidence=tuple(Evidence.of(row, row.usage_type) for row in rows),
            )
        )
    return found


def eip_idle(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """AWS bills `IdleAddress` hours only for addresses associated with nothing running."""
    found = []
    rows_by_address = group_by_resource(
        row for row in inputs.usage if "IdleAddress" in row.usage_type and inputs.is_current(row)
    )
    for (account, resource), rows in rows_by_address.items():
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        if cost < inputs.thresholds.min_monthly_savings:
            continue
        hours = sum((row.quantity for row in rows), ZERO)
        found.append(
            Candidate(
                detector="eip_idle",
                category="network",
                title=f"Release idle Elastic IP {_short(resource)}",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type="Elastic IP address",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(cost),
                method=(
                    f"{amount(hours)} idle-address hours over {days} days: AWS charges these only while the address is "
                    f"not associated with a running instance. Releasing it saves {money(cost)} a month."
                ),
                confidence="high",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"idle_address_hours": f"{amount(hours)}"},
                evidence=tuple(Evidence.of(row, "Idle address hours") for row in rows),
            )
        )
    return found


def nat_gateway_endpoint(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """NAT data processing: traffic to S3 and DynamoDB through a gateway endpoint is free."""
    found = []
    grouped = group_by_resource(row for row in inputs.usage if "NatGateway-Bytes" in row.usage_type)
    for (account, resource), rows in grouped.items():
        if not any(inputs.is_current(row) for row in rows):
            continue
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        if cost < inputs.thresholds.min_monthly_savings:
            continue
        processed = sum((row.quantity for row in rows), ZERO)
        found.append(
            Candidate(
                detector="nat_gateway_endpoint",
                category="network",
                title=f"Route S3/DynamoDB traffic of NAT gateway {_short(resource)} through VPC gateway endpoints",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type="NAT gateway",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(cost),
                method=(
                    f"{amount(processed)} GB processed over {days} days costs {money(cost)} a month in NAT data processing. "
                    "Gateway endpoints for S3 and DynamoDB have no hourly or per-GB charge, so the part of this "
                    "traffic that goes to S3 or DynamoDB costs nothing through them. Upper bound: the bill does not "
                    "say which share of the traffic that is."
                ),
                confidence="low",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"processed_gb": f"{amount(processed)}", "days_observed": str(days)},
                confirm_with=(
                    "VPC Flow Logs of the NAT gateway's interface grouped by destination: the share going to the "
                    "S3 and DynamoDB prefix lists of this region is the real saving."
                ),
                evidence=tuple(Evidence.of(row, "NAT data processed") for row in rows),
            )
        )
    return found


DETECTORS = (elb_idle, eip_idle, nat_gateway_endpoint)
