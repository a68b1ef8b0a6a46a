"""EBS gp2 → gp3, unattached volumes, old snapshots; S3 Standard that Intelligent-Tiering would reduce."""

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
    instance_id,
    money,
    per_month,
)
from recommendations.pricing import HOURS_PER_MONTH, PriceBook

DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GP2_IOPS_PER_GB = 3
GP2_MAX_IOPS = 16000
GP3_INCLUDED_IOPS = 3000


def _stored_gb(rows: list[ResourceUsage], days: int) -> Decimal:
    """Average size: GB-months per day × days in a month."""
    quantity = sum((row.quantity for row in rows), ZERO)
    return quantity / days * DAYS_PER_MONTH if days else ZERO


def _current_rows(inputs: DetectorInput, marker: str) -> dict[tuple[str, str], list[ResourceUsage]]:
    grouped = group_by_resource(row for row in inputs.usage if marker in row.usage_type)
    return {key: rows for key, rows in grouped.items() if any(inputs.is_current(row) for row in rows)}


def ebs_gp2(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """gp2 volumes: gp3 costs 20% less per GB; IOPS above gp3's included 3,000 are paid for."""
    found = []
    for (account, resource), rows in _current_rows(inputs, "VolumeUsage.gp2").items():
        region = rows[0].region
        ratio = prices.ratio("ebs_gp3", "ebs_gp2", region)
        iops_price = prices.unit_price("ebs_gp3_iops", region)
        if ratio is None or iops_price is None:
            continue
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        size = _stored_gb(rows, days)
        gp2_iops = min(Decimal(GP2_MAX_IOPS), size * GP2_IOPS_PER_GB)
        extra_iops = max(ZERO, gp2_iops - GP3_INCLUDED_IOPS).quantize(Decimal(1))
        extra_cost = extra_iops * iops_price
        savings = cost * (1 - ratio) - extra_cost
        if savings < inputs.thresholds.min_monthly_savings:
            continue
        method = (
            f"{money(cost)} a month for about {size.quantize(Decimal(1)):f} GB of gp2; gp3 lists at "
            f"{(ratio * 100).quantize(Decimal('0.1')):f}% of gp2's price per GB in {region}"
            + (
                f", and keeping gp2's {gp2_iops.quantize(Decimal(1)):f} IOPS costs {extra_iops:f} provisioned IOPS "
                f"× ${iops_price:f} = {money(extra_cost)}"
                if extra_iops
                else " and its included 3,000 IOPS / 125 MiB/s cover what gp2 gives this size"
            )
            + f": {money(savings)} a month."
        )
        found.append(
            Candidate(
                detector="ebs_gp2_to_gp3",
                category="storage",
                title=f"Change EBS volume {instance_id(resource)} from gp2 to gp3",
                account_id=account,
                region=region,
                resource_id=resource,
                resource_type="EBS volume gp2",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=method,
                confidence="high",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "size_gb": f"{size.quantize(Decimal(1)):f}",
                    "gp3_price_ratio": f"{ratio.quantize(Decimal('0.0001')):f}",
                    "extra_iops_to_provision": f"{extra_iops:f}",
                },
                confirm_with="That the volume does not rely on gp2 burst throughput above 125 MiB/s (CloudWatch VolumeReadBytes/VolumeWriteBytes).",
                evidence=tuple(Evidence.of(row, "Volume storage (gp2)") for row in rows),
            )
        )
    return found


def ebs_unattached(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Volumes EC2 reports as `available` (attached to nothing) still bill every GB-month."""
    states = inputs.signals.volume_states
    if states is None:
        return []  # the bill cannot tell an attached volume from a detached one
    found = []
    for (account, resource), rows in _current_rows(inputs, "VolumeUsage").items():
        if states.get(instance_id(resource)) != "available":
            continue
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        if cost < inputs.thresholds.min_monthly_savings:
            continue
        volume_type = rows[0].usage_type.rsplit(".", 1)[-1] if "." in rows[0].usage_type else "standard"
        found.append(
            Candidate(
                detector="ebs_unattached",
                category="storage",
                title=f"Delete unattached EBS volume {instance_id(resource)}",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type=f"EBS volume {volume_type}",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(cost),
                method=(
                    f"EC2 reports the volume as available (attached to no instance). Its storage cost "
                    f"{money(sum((row.effective_cost for row in rows), ZERO))} over {days} days = {money(cost)} a month, "
                    "all of which deleting it saves (a snapshot first keeps the data for a fraction of that)."
                ),
                confidence="high",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"volume_state": "available", "volume_type": volume_type},
                evidence=tuple(Evidence.of(row, "Volume storage") for row in rows),
            )
        )
    return found


def ebs_old_snapshots(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Snapshots billed for longer than the age limit: delete them (or archive what must be kept)."""
    limit = inputs.thresholds.snapshot_age_days
    found = []
    for (account, resource), rows in _current_rows(inputs, "SnapshotUsage").items():
        first = inputs.first_seen.get(resource, min(row.first_day for row in rows))
        age = (inputs.window_end - first).days
        if age < limit:
            continue
        days = inputs.days_observed(rows)
        cost = per_month(sum((row.effective_cost for row in rows), ZERO), days)
        if cost < inputs.thresholds.min_monthly_savings:
            continue
        found.append(
            Candidate(
                detector="ebs_old_snapshots",
                category="storage",
                title=f"Delete EBS snapshot {instance_id(resource)}, billed for {age} days",
                account_id=account,
                region=rows[0].region,
                resource_id=resource,
                resource_type="EBS snapshot",
                currency=rows[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(cost),
                method=(
                    f"The bill has charged for this snapshot since {first:%Y-%m-%d} ({age} days, over the {limit}-day "
                    f"limit). It costs {money(cost)} a month; deleting it saves all of that."
                ),
                confidence="medium",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={"billed_since": f"{first:%Y-%m-%d}", "age_days": str(age), "age_limit_days": str(limit)},
                confirm_with=(
                    "The snapshot's StartTime (EC2 DescribeSnapshots) and that no AMI, backup plan or "
                    "retention policy needs it; the bill only shows when charges began."
                ),
                evidence=tuple(Evidence.of(row, "Snapshot storage") for row in rows),
            )
        )
    return found


def _is_s3_standard(row: ResourceUsage) -> bool:
    """`TimedStorage-ByteHrs` with at most a region prefix (`USE1-`); other classes name themselves (`-SIA-`)."""
    if "Simple Storage Service" not in row.service and row.service != "AmazonS3":
        return False
    prefix, found, rest = row.usage_type.rpartition("TimedStorage-ByteHrs")
    return bool(found) and not rest and (not prefix or (prefix.endswith("-") and "-" not in prefix[:-1]))


def s3_intelligent_tiering(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Large buckets in S3 Standard: Intelligent-Tiering moves objects unread for 30 days to a cheaper tier."""
    found = []
    grouped = group_by_resource(inputs.usage)
    for (account, resource), rows in grouped.items():
        standard = [row for row in rows if _is_s3_standard(row)]
        if not standard or not any(inputs.is_current(row) for row in standard):
            continue
        region = standard[0].region
        ratio = prices.ratio("s3_intelligent_tiering_infrequent", "s3_standard", region)
        if ratio is None:
            continue
        days = inputs.days_observed(standard)
        size = _stored_gb(standard, days)
        if size < inputs.thresholds.s3_min_standard_gb:
            continue
        cost = per_month(sum((row.effective_cost for row in standard), ZERO), days)
        savings = cost * (1 - ratio)
        if savings < inputs.thresholds.min_monthly_savings:
            continue
        reads = sum((row.quantity for row in rows if "Requests-Tier2" in row.usage_type), ZERO)
        reads_per_gb = reads / size if size else ZERO
        has_requests = any("Requests-" in row.usage_type for row in rows)
        if has_requests and reads_per_gb >= 1:
            continue  # read often: most objects would stay in the frequent tier
        confidence = "medium" if has_requests else "low"
        method = (
            f"About {size.quantize(Decimal(1)):f} GB in S3 Standard costing {money(cost)} a month. Intelligent-Tiering's "
            f"infrequent tier lists at {(ratio * 100).quantize(Decimal('0.1')):f}% of Standard; if the objects go "
            f"unread for 30 days the month costs {money(savings)} less. Upper bound: objects read within 30 days stay "
            "at the Standard price, and the monitoring fee ($0.0025 per 1,000 objects over 128 KB) is not included "
            "because the bill does not count objects."
        )
        found.append(
            Candidate(
                detector="s3_intelligent_tiering",
                category="storage",
                title=f"Move S3 bucket {resource.rsplit(':', 1)[-1]} to Intelligent-Tiering",
                account_id=account,
                region=region,
                resource_id=resource,
                resource_type="S3 bucket (Standard)",
                currency=standard[0].currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=method,
                confidence=confidence,
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "standard_gb": f"{size.quantize(Decimal(1)):f}",
                    "get_requests_per_gb": f"{reads_per_gb.quantize(Decimal('0.001')):f}",
                    "tier_price_ratio": f"{ratio.quantize(Decimal('0.0001')):f}",
                },
                confirm_with=(
                    "S3 Storage Lens or Storage Class Analysis for this bucket (share of objects not read for "
                    "30 days, object count and sizes)."
                ),
                evidence=tuple(Evidence.of(row, "Standard storage") for row in standard)
                + tuple(Evidence.of(row, "Requests") for row in rows if "Requests-" in row.usage_type),
            )
        )
    return found


DETECTORS = (ebs_gp2, ebs_unattached, ebs_old_snapshots, s3_intelligent_tiering)
