"""Crafted bills for monitoring tests, ingested through the real path (`ingest_file`)."""

from __future__ import annotations

import csv
import datetime
import math
import random
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

HEADER = [
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeFrequency", "ProviderName", "ServiceName",
    "ServiceCategory", "RegionId", "SubAccountId", "SubAccountName", "ResourceId", "BilledCost", "EffectiveCost",
    "ListCost", "ContractedCost", "PricingQuantity", "PricingUnit", "Tags",
]  # fmt: skip
START = datetime.date(2025, 1, 1)
DAYS = 150
SPIKES = (100, 135)  # days on which i-runaway in us-west-2 (account 444455556666) costs $400
PURCHASE_DAY = 120  # a $5,000 RI purchase and a $300 tax line: not usage


def day_of(index: int) -> datetime.date:
    return START + datetime.timedelta(days=index)


def _iso(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _line(
    day: datetime.date,
    category: str,
    service: str,
    region: str,
    account: str,
    resource: str,
    cost: float,
    tags: str = "",
) -> list[str]:
    period = day.replace(day=1)
    period_end = (period + datetime.timedelta(days=32)).replace(day=1)
    amount = f"{cost:.2f}"
    return [
        "111122223333", "Payer", "USD", _iso(period), _iso(period_end), _iso(day),
        _iso(day + datetime.timedelta(days=1)), category, "Usage-Based" if category == "Usage" else "One-Time", "AWS",
        service, "Compute", region, account, account, resource, amount, amount, amount, amount, "1", "Hours", tags,
    ]  # fmt: skip


def crafted_bill(path: Path, *, days: int = DAYS) -> Path:
    """A quiet bill (EC2 ~ $100/day with weekend dips, S3 ~ $20/day) with two identical EC2 spikes and a purchase."""
    rng = random.Random(3)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(days):
            day = day_of(index)
            weekend = 0.6 if day.weekday() >= 5 else 1.0
            noise = math.exp(rng.gauss(0, 0.04))
            ec2 = "Amazon Elastic Compute Cloud"
            web = '{"team": "web"}'
            writer.writerow(_line(day, "Usage", ec2, "us-east-1", "444455556666", "i-0001", 100 * weekend * noise, web))
            writer.writerow(
                _line(
                    day, "Usage", "Amazon Simple Storage Service", "us-east-1", "777788889999", "bucket-a", 20 * noise
                )
            )
            if index in SPIKES:
                writer.writerow(_line(day, "Usage", ec2, "us-west-2", "444455556666", "i-runaway", 400, web))
            if index == PURCHASE_DAY:
                writer.writerow(_line(day, "Purchase", ec2, "", "444455556666", "ri-1", 5000))
                writer.writerow(_line(day, "Tax", ec2, "", "444455556666", "", 300))
    return path


@pytest.fixture
def billed_org(org_a: Any, tmp_path: Path) -> Iterator[Any]:
    """org_a with the crafted bill ingested; the test body runs inside its schema."""
    call_command("ingest_file", "--org", "acme", str(crafted_bill(tmp_path / "bill.csv")), stdout=StringIO())
    with tenant_context(org_a.organization):
        yield org_a
