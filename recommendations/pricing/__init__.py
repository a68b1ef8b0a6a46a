"""Pricing tables shipped with the package (see data/ATTRIBUTION.md) and the look-ups detectors need.

Everything is Decimal. The EC2 table prices us-east-1 only, so detectors use price *ratios*
(target / current in us-east-1) applied to what the bill says the customer pays in their own
region; for EBS, the per-region list prices observed in the FOCUS sample are used when present.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
REFERENCE_REGION = "us-east-1"
# AWS's own convention for a month of hourly resources (Savings Plans, EC2 pricing pages).
HOURS_PER_MONTH = Decimal(730)

# A "plain" current family: category letters, generation digit, optional processor letter
# (g = Graviton, i = Intel, a = AMD). Excludes variants with local disks, extra network, etc.
_PLAIN_FAMILY = re.compile(r"^(?P<category>[a-z]+?)(?P<generation>\d+)(?P<processor>[gia]?)$")


@dataclass(frozen=True)
class InstanceType:
    name: str
    family: str
    category: str
    generation: int
    size: str
    vcpu: int
    memory_gib: Decimal
    arch: str
    is_graviton: bool
    hourly_usd: Decimal  # Linux on-demand, us-east-1

    @property
    def is_plain(self) -> bool:
        return bool(_PLAIN_FAMILY.match(self.family)) and "metal" not in self.size

    @property
    def is_previous_generation(self) -> bool:
        """AWS's "previous generation" families: generation 4 and older (t2 and older for burstable)."""
        if self.category == "t":
            return self.generation <= 2
        return self.generation <= 4

    @property
    def is_modern(self) -> bool:
        """A type worth moving to: generation 6 and later (burstable: t3 and later)."""
        return not self.is_previous_generation and (self.generation >= 6 or self.category == "t")


@dataclass(frozen=True)
class PriceBook:
    """All prices a detector may use; tests build their own with exactly the prices they need."""

    instances: dict[str, InstanceType] = field(default_factory=dict)
    # (price key, region) -> USD per unit; price keys: ebs_gp2, ebs_gp3, ebs_snapshot, ...
    unit_prices: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def unit_price(self, key: str, region: str) -> Decimal | None:
        """The list price of `key` in `region`, else in the reference region, else None."""
        return self.unit_prices.get((key, region), self.unit_prices.get((key, REFERENCE_REGION)))

    def ratio(self, target_key: str, current_key: str, region: str) -> Decimal | None:
        """target price / current price in the same region (both from one region's list prices)."""
        for candidate in (region, REFERENCE_REGION):
            target = self.unit_prices.get((target_key, candidate))
            current = self.unit_prices.get((current_key, candidate))
            if target is not None and current:
                return target / current
        return None

    def instance(self, name: str) -> InstanceType | None:
        return self.instances.get(name)


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip()
    return Decimal(text) if text else None


def _load_instances() -> dict[str, InstanceType]:
    instances = {}
    with (DATA / "ec2_instance_types_specs_ondemand_karpenter.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            price = _decimal(row["ondemand_linux_usd_hr_us_east_1"])
            if price is None or not row["generation"].isdigit():
                continue
            instances[row["instance_type"]] = InstanceType(
                name=row["instance_type"],
                family=row["family"],
                category=row["category"],
                generation=int(row["generation"]),
                size=row["size"],
                vcpu=int(row["vcpu"]),
                memory_gib=Decimal(row["memory_gib"]),
                arch=row["arch"],
                is_graviton=row["is_graviton"] == "True",
                hourly_usd=price,
            )
    return instances


# What the FOCUS sample's charge descriptions say, mapped to our price keys.
_OBSERVED = (
    ("ebs_gp2", re.compile(r"General Purpose SSD \(gp2\) provisioned storage")),
    ("ebs_gp3", re.compile(r"General Purpose \(gp3\) provisioned storage")),
    ("ebs_gp3_iops", re.compile(r"provisioned IOPS-month of gp3")),
    ("ebs_snapshot", re.compile(r"snapshot data stored|for EBS:SnapshotUsage")),
    ("logs_storage", re.compile(r"of log storage")),
    ("elb_alb_hour", re.compile(r"per Application LoadBalancer-hour")),
)


def _load_unit_prices() -> dict[tuple[str, str], Decimal]:
    prices: dict[tuple[str, str], Decimal] = {}
    with (DATA / "observed_aws_list_unit_prices_from_focus_sample_2024-09.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            price = _decimal(row["ListUnitPrice"])
            if price is None:
                continue
            for key, pattern in _OBSERVED:
                if pattern.search(row["ChargeDescription"]):
                    prices.setdefault((key, row["RegionId"]), price)
    with (DATA / "aws_list_prices_supplement.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            prices.setdefault((row["price_key"], row["region"]), Decimal(row["usd"]))
    return prices


@lru_cache(maxsize=1)
def price_book() -> PriceBook:
    """The shipped tables, loaded once per process."""
    return PriceBook(instances=_load_instances(), unit_prices=_load_unit_prices())
