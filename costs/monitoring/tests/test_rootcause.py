"""Root cause ranking: the injected contributor comes first, at account x service x region x usage type."""

from __future__ import annotations

from decimal import Decimal

from costs.monitoring.detection.rootcause import Spend, explain


def _spend(usage_type: str, resource: str, before: str, during: str, region: str = "us-east-1") -> Spend:
    return Spend("111", "Amazon EC2", region, usage_type, resource, Decimal(before), Decimal(during))


def test_the_injected_usage_type_and_resource_explain_the_increase() -> None:
    rows = [
        _spend("BoxUsage:m5.large", "i-1", "1400", "700"),  # steady: $100/day over 14 days, $100/day over 7
        _spend("NatGateway-Bytes", "nat-1", "140", "1470"),  # $10/day -> $210/day: the cause
        _spend("NatGateway-Bytes", "nat-2", "140", "77"),
        _spend("DataTransfer-Out-Bytes", "", "0", "35", region="eu-west-1"),  # +$5/day, minor
    ]
    [top, *rest] = explain(rows, baseline_days=14, anomaly_days=7)
    assert top.dimensions == {
        "account": "111",
        "service": "Amazon EC2",
        "region": "us-east-1",
        "usage_type": "NatGateway-Bytes",
        "resource": "nat-1",
    }
    assert top.delta_daily == Decimal("201.00") and top.share > Decimal("0.9")
    assert len(rest) <= 1


def test_nothing_rose_means_no_root_cause() -> None:
    assert explain([_spend("BoxUsage", "i-1", "1400", "600")], baseline_days=14, anomaly_days=7) == []
