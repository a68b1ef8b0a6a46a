"""Crafted bill rows for detector tests: one 30-day window, every figure chosen by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from costs.selectors_resources import ResourceUsage
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
