"""What every detector takes and returns: typed inputs from the bill, candidates with evidence.

Detectors are pure functions `detect(inputs, prices) -> list[Candidate]`: no database, no
network, so tests feed them crafted usage and check every figure. Money is Decimal all the way
and rounded to cents (half-up) only in the candidate.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from costs.selectors.resources import CommitmentUsage, DailySpend, ResourceUsage
from recommendations.pricing import HOURS_PER_MONTH

CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def per_month(cost: Decimal, days: int) -> Decimal:
    """A cost observed over `days` full days, as a month of 730 hours (unrounded)."""
    if days <= 0:
        return ZERO
    return cost * HOURS_PER_MONTH / (Decimal(days) * 24)


@dataclass(frozen=True)
class Thresholds:
    """Tunable limits; defaults are what a cautious FinOps team would start with."""

    min_monthly_savings: Decimal = Decimal("1.00")
    min_observed_days: int = 14
    idle_network_gb_per_day: Decimal = Decimal("0.05")
    idle_cpu_percent: Decimal = Decimal("5")
    idle_lb_processed_gb_per_day: Decimal = Decimal("0.1")
    snapshot_age_days: int = 90
    s3_min_standard_gb: Decimal = Decimal("500")
    commitment_min_utilization: Decimal = Decimal("0.90")
    # Part of the steadiest on-demand spend to commit to (the 10th percentile day keeps headroom).
    savings_plan_percentile: Decimal = Decimal("0.10")
    # A Compute Savings Plan's discount when the bill has no Savings Plan to measure one from.
    savings_plan_default_discount: Decimal = Decimal("0.28")
    log_retention_days: int = 30
    log_min_growth_gb_per_day: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class Signals:
    """Facts from the customer's AWS APIs, when their role allows; None = not available.

    The bill cannot show CPU, connections or attachment; detectors that need them lower their
    confidence and say which of these would confirm when they are missing.
    """

    cpu_max_daily_average: dict[str, Decimal] | None = None  # instance id -> %
    db_max_connections: dict[str, Decimal] | None = None  # DB instance id -> count
    volume_states: dict[str, str] | None = None  # volume id -> "available" | "in-use"


@dataclass(frozen=True)
class DetectorInput:
    window_start: datetime.date
    window_end: datetime.date
    usage: list[ResourceUsage]
    first_seen: dict[str, datetime.date] = field(default_factory=dict)
    commitments: list[CommitmentUsage] = field(default_factory=list)
    commitments_period: datetime.date | None = None
    on_demand_daily: list[DailySpend] = field(default_factory=list)
    signals: Signals = field(default_factory=Signals)
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def window_days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def is_current(self, row: ResourceUsage) -> bool:
        """Still billed at the end of the window (a day's delivery lag allowed)."""
        return row.last_day >= self.window_end - datetime.timedelta(days=1)

    def days_observed(self, rows: Iterable[ResourceUsage]) -> int:
        """Days from the resource's first appearance in the window to the window's end."""
        first = min(row.first_day for row in rows)
        return (self.window_end - max(first, self.window_start)).days + 1


@dataclass(frozen=True)
class Evidence:
    label: str
    resource_id: str
    usage_type: str
    period_start: datetime.date
    period_end: datetime.date
    quantity: Decimal | None
    unit: str
    effective_cost: Decimal
    coverage: str = ""

    @classmethod
    def of(cls, row: ResourceUsage, label: str) -> Evidence:
        return cls(
            label=label,
            resource_id=row.resource_id,
            usage_type=row.usage_type,
            period_start=row.first_day,
            period_end=row.last_day,
            quantity=row.quantity,
            unit=row.unit,
            effective_cost=row.effective_cost,
            coverage=row.coverage,
        )


@dataclass(frozen=True)
class Candidate:
    detector: str
    category: str
    title: str
    account_id: str
    region: str
    resource_id: str
    resource_type: str
    currency: str
    monthly_cost: Decimal
    monthly_savings: Decimal
    method: str
    confidence: str
    effort: str
    window_start: datetime.date
    window_end: datetime.date
    facts: dict[str, str] = field(default_factory=dict)
    confirm_with: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.detector}:{self.account_id}:{self.resource_id}"

    @property
    def fingerprint(self) -> str:
        """What the advice depends on, with money to two significant digits.

        Usage drifts a little every day; the rationale need not be rewritten for that, only
        when a figure moves visibly or the evidence changes shape.
        """
        payload = {
            "key": self.key,
            "title": self.title,
            "confidence": self.confidence,
            "savings": _rough(self.monthly_savings),
            "cost": _rough(self.monthly_cost),
            "facts": {name: _rough_text(value) for name, value in sorted(self.facts.items())},
            "evidence": sorted({(e.resource_id, e.usage_type, e.coverage) for e in self.evidence}),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _rough(amount: Decimal) -> str:
    if not amount:
        return "0"
    return f"{float(amount):.2g}"


def _rough_text(value: str) -> str:
    try:
        return _rough(Decimal(value))
    except ArithmeticError:
        return value


def money(amount: Decimal) -> str:
    """Money in explanations and facts: `$1234.56` (AWS bills are in USD), the text the prompt and page show."""
    value = cents(amount)
    return f"-${-value:f}" if value < 0 else f"${value:f}"


def amount(value: Decimal, places: int = 3) -> str:
    """A usage quantity as people write it: at most `places` decimals, no trailing zeros (720, 0.317)."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
    return f"{rounded:f}"


def instance_id(resource_id: str) -> str:
    """`i-0abc…` from `i-0abc…` or an ARN ending in `:instance/i-0abc…` / `:i-0abc…`."""
    return resource_id.replace(":", "/").rsplit("/", 1)[-1]


def group_by_resource(rows: Iterable[ResourceUsage]) -> dict[tuple[str, str], list[ResourceUsage]]:
    grouped: dict[tuple[str, str], list[ResourceUsage]] = {}
    for row in rows:
        grouped.setdefault((row.account_id, row.resource_id), []).append(row)
    return grouped


def on_demand_cost(rows: Iterable[ResourceUsage]) -> Decimal:
    """Cost not covered by a commitment: what removing the usage actually saves.

    Covered usage keeps costing the commitment whether or not the resource runs.
    """
    return sum((row.effective_cost for row in rows if row.is_on_demand), ZERO)


def covered_cost(rows: Iterable[ResourceUsage]) -> Decimal:
    return sum((row.effective_cost for row in rows if not row.is_on_demand), ZERO)
