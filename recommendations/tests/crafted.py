"""Crafted bill rows for detector tests: one 30-day window, every figure chosen by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from costs.selectors.resources import ResourceUsage
from recommendations.detectors.base import DetectorInput

START = datetime.date(2024, 9, 1)
END = datetime.date(2024, 9, 30)  # 30 days: a month of 730 h is cost × 730 / 720
ACCOUNT = "111111111111"
EC2 = "Amazon Elastic Compute Cloud"


def usage(
    resource: str,
    usage_type: str,
    *,
    quantity: str,
    cost: str,
    service: str = EC2,
    region: str = "us-east-1",
    coverage: str = "",
    first: datetime.date = START,
    last: datetime.date = END,
    unit: str = "Hrs",
    first_quantity: str | None = None,
    last_quantity: str | None = None,
) -> ResourceUsage:
    days = (last - first).days + 1
    return ResourceUsage(
        account_id=ACCOUNT,
        region=region,
        resource_id=resource,
        service=service,
        product_family="",
        usage_type=usage_type,
        operation="",
        unit=unit,
        coverage=coverage,
        currency="USD",
        quantity=Decimal(quantity),
        effective_cost=Decimal(cost),
        billed_cost=Decimal(cost),
        list_cost=Decimal(cost),
        first_day=first,
        last_day=last,
        days=days,
        # Per-day quantities on the first and last day (default: the quantity spread evenly).
        first_day_quantity=Decimal(first_quantity) if first_quantity is not None else Decimal(quantity) / days,
        last_day_quantity=Decimal(last_quantity) if last_quantity is not None else Decimal(quantity) / days,
    )


def window(*rows: ResourceUsage, **options: Any) -> DetectorInput:
    return DetectorInput(window_start=START, window_end=END, usage=list(rows), **options)


def candidates(count: int, *, prefix: str = "vol-", savings_from: int = 10) -> list[Any]:
    """`count` gp2 volume candidates with distinct ids and savings (for rationale tests)."""
    from recommendations.detectors.base import Candidate, Evidence

    made = []
    for number in range(count):
        savings = Decimal(savings_from + number) + Decimal("0.25")
        cost = savings * 5
        resource = f"{prefix}{number:05d}"
        made.append(
            Candidate(
                detector="ebs_gp2_to_gp3",
                category="storage",
                title=f"Change EBS volume {resource} from gp2 to gp3",
                account_id=ACCOUNT,
                region="us-east-1",
                resource_id=resource,
                resource_type="EBS volume gp2",
                currency="USD",
                monthly_cost=cost,
                monthly_savings=savings,
                method=f"${cost} a month for gp2; gp3 lists at 80.0% of that: ${savings} a month.",
                confidence="high",
                effort="low",
                window_start=START,
                window_end=END,
                facts={"size_gb": str(100 + number), "gp3_price_ratio": "0.8000"},
                evidence=(
                    Evidence(
                        label="Volume storage (gp2)",
                        resource_id=resource,
                        usage_type="EBS:VolumeUsage.gp2",
                        period_start=START,
                        period_end=END,
                        quantity=Decimal(100 + number),
                        unit="GB-Mo",
                        effective_cost=cost,
                    ),
                ),
            )
        )
    return made


def stored(count: int, **options: Any) -> Any:
    """A run (provider bedrock) whose store step saved `count` crafted candidates; returns the run."""
    from recommendations.models import RecommendationRun
    from recommendations.services.store import candidates_store

    run = RecommendationRun.objects.create(trigger=options.pop("trigger", "manual"), provider="bedrock")
    candidates_store(run=run, candidates=candidates(count, **options))
    return run
