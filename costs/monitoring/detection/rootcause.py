"""Root cause: which account x service x region x usage type combinations explain an increase.

Input is the slice's spend per fine-grained combination (resource included where the bill
names one) in two windows: the anomaly's days and the baseline days before it. Each
combination's change is compared per day (the windows differ in length). Combinations are
ranked at account x service x region x usage type; a resource is named when it alone carries
at least half of its combination's increase. The top rows that together explain `coverage`
of the increase are returned (at most `limit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

DIMENSIONS = ("account", "service", "region", "usage_type")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Spend:
    """Spend of one combination: totals over the baseline window and over the anomaly window."""

    account: str
    service: str
    region: str
    usage_type: str
    resource: str
    baseline_total: Decimal
    anomaly_total: Decimal


@dataclass(frozen=True)
class Contributor:
    dimensions: dict[str, str]  # account, service, region, usage_type, and resource when one dominates
    baseline_daily: Decimal
    anomaly_daily: Decimal
    delta_daily: Decimal  # increase per day
    share: Decimal  # fraction of the slice's increase this row explains


def explain(
    rows: Iterable[Spend], *, baseline_days: int, anomaly_days: int, limit: int = 5, coverage: Decimal = Decimal("0.9")
) -> list[Contributor]:
    """The combinations that explain most of the increase, largest first (empty if nothing rose)."""
    groups: dict[tuple[str, ...], list[Decimal]] = {}
    resources: dict[tuple[str, ...], dict[str, Decimal]] = {}
    for row in rows:
        key = (row.account, row.service, row.region, row.usage_type)
        before = row.baseline_total / baseline_days
        during = row.anomaly_total / anomaly_days
        sums = groups.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += before
        sums[1] += during
        if row.resource:
            per_resource = resources.setdefault(key, {})
            per_resource[row.resource] = per_resource.get(row.resource, Decimal(0)) + during - before
    rising = sorted(
        ((key, before, during, during - before) for key, (before, during) in groups.items() if during > before),
        key=lambda item: (-item[3], item[0]),
    )
    increase = sum((delta for *_, delta in rising), Decimal(0))
    if increase <= 0:
        return []
    contributors: list[Contributor] = []
    explained = Decimal(0)
    for combination, before, during, delta in rising:
        if len(contributors) >= limit or explained >= coverage * increase:
            break
        dimensions = dict(zip(DIMENSIONS, combination, strict=True))
        top = max(resources.get(combination, {}).items(), key=lambda item: (item[1], item[0]), default=None)
        if top is not None and top[1] * 2 >= delta:
            dimensions["resource"] = top[0]
        contributors.append(
            Contributor(
                dimensions=dimensions,
                baseline_daily=before.quantize(CENTS),
                anomaly_daily=during.quantize(CENTS),
                delta_daily=delta.quantize(CENTS),
                share=(delta / increase).quantize(Decimal("0.001")),
            )
        )
        explained += delta
    return contributors
