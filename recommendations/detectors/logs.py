"""CloudWatch Logs storage that only grows: a log group without a retention setting."""

from __future__ import annotations

from decimal import Decimal

from recommendations.detectors.base import Candidate, DetectorInput, Evidence, cents, group_by_resource, money
from recommendations.pricing import HOURS_PER_MONTH, PriceBook

DAYS_PER_MONTH = HOURS_PER_MONTH / 24


def cloudwatch_logs_retention(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Stored log data growing steadily; with a retention of N days it would level off at N days of growth."""
    limits = inputs.thresholds
    retention = limits.log_retention_days
    storage = (
        row
        for row in inputs.usage
        if "CloudWatch" in row.service and row.usage_type.endswith("TimedStorage-ByteHrs") and inputs.is_current(row)
    )
    found = []
    for (account, resource), rows in group_by_resource(storage).items():
        row = rows[0]
        span = (row.last_day - row.first_day).days
        if span + 1 < limits.min_observed_days or not row.quantity:
            continue
        # GB-months per day × days in a month = GB stored that day.
        first_gb = row.first_day_quantity * DAYS_PER_MONTH
        last_gb = row.last_day_quantity * DAYS_PER_MONTH
        growth = (last_gb - first_gb) / span
        if growth < limits.log_min_growth_gb_per_day:
            continue
        kept_gb = growth * retention
        if kept_gb >= last_gb:
            continue
        price_per_gb_month = row.effective_cost / row.quantity  # what this bill actually charges
        savings = (last_gb - kept_gb) * price_per_gb_month
        if savings < limits.min_monthly_savings:
            continue
        cost = last_gb * price_per_gb_month
        name = resource.split(":log-group:", 1)[-1]
        found.append(
            Candidate(
                detector="cloudwatch_logs_retention",
                category="logs",
                title=f"Set a {retention}-day retention on log group {name}",
                account_id=account,
                region=row.region,
                resource_id=resource,
                resource_type="CloudWatch Logs log group",
                currency=row.currency,
                monthly_cost=cents(cost),
                monthly_savings=cents(savings),
                method=(
                    f"Stored data grew from {first_gb.quantize(Decimal('0.1')):f} GB to {last_gb.quantize(Decimal('0.1')):f} GB "
                    f"in {span} days ({growth.quantize(Decimal('0.01')):f} GB/day) and never expires. With {retention} "
                    f"days of retention it levels off near {kept_gb.quantize(Decimal('0.1')):f} GB; at "
                    f"${price_per_gb_month.quantize(Decimal('0.0001')):f} per GB-month (this bill's rate) that is "
                    f"{money(savings)} a month less than today's {money(cost)}, and the gap widens as it grows."
                ),
                confidence="medium",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "stored_gb": f"{last_gb.quantize(Decimal('0.1')):f}",
                    "growth_gb_per_day": f"{growth.quantize(Decimal('0.01')):f}",
                    "retention_days": str(retention),
                },
                confirm_with=(
                    "DescribeLogGroups shows no retentionInDays for the group, and no compliance rule needs the "
                    "older data (export it to S3 Glacier first if it does)."
                ),
                evidence=(Evidence.of(row, "Log storage"),),
            )
        )
    return found


DETECTORS = (cloudwatch_logs_retention,)
