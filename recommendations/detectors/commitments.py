"""Commitments: a Savings Plan for steady uncovered compute, and RIs/Savings Plans that go unused."""

from __future__ import annotations

import calendar
from decimal import ROUND_DOWN, Decimal

from recommendations.detectors.base import ZERO, Candidate, DetectorInput, Evidence, cents, money
from recommendations.pricing import HOURS_PER_MONTH, PriceBook


def _observed_discount(inputs: DetectorInput) -> tuple[Decimal, str]:
    """The discount the customer's own Savings Plans give (amortized vs on-demand), else the default."""
    plans = [c for c in inputs.commitments if c.commitment_type == "Savings Plan" and c.covered_list_cost > 0]
    listed = sum((c.covered_list_cost for c in plans), ZERO)
    if listed:
        used = sum((c.used_effective_cost for c in plans), ZERO)
        return 1 - used / listed, "measured on your existing Savings Plan's covered usage"
    return inputs.thresholds.savings_plan_default_discount, "assumed for a 1-year no-upfront Compute Savings Plan"


def savings_plan_purchase(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """Commit to the on-demand compute spend that never goes away (the 10th-percentile day)."""
    limits = inputs.thresholds
    found = []
    currencies = sorted({day.currency for day in inputs.on_demand_daily})
    for currency in currencies:
        days = sorted(
            (d for d in inputs.on_demand_daily if d.currency == currency), key=lambda d: (d.effective_cost, d.day)
        )
        if len(days) < limits.min_observed_days:
            continue
        index = int((limits.savings_plan_percentile * (len(days) - 1)).to_integral_value(rounding=ROUND_DOWN))
        floor_day = days[index]
        baseline_hourly = floor_day.effective_cost / 24
        discount, discount_source = _observed_discount(inputs)
        if discount <= 0:
            continue
        # Commitment already paid for but unused would absorb that much of any new usage first.
        unused_hourly = _unused_savings_plan_hourly(inputs)
        commitment = (baseline_hourly * (1 - discount) - unused_hourly).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
        covered_hourly = commitment / (1 - discount)
        savings = covered_hourly * discount * HOURS_PER_MONTH
        if commitment <= 0 or savings < limits.min_monthly_savings:
            continue
        total = sum((d.effective_cost for d in days), ZERO)
        monthly_on_demand = total * HOURS_PER_MONTH / (len(days) * 24)
        break_even = (1 - discount) * 100
        method = (
            f"Over {len(days)} days the Savings-Plan-eligible on-demand compute (EC2, Fargate, Lambda) never cost "
            f"less than {money(floor_day.effective_cost)} a day on 90% of days (10th percentile, {floor_day.day:%Y-%m-%d}), "
            f"i.e. {money(baseline_hourly)}/h. "
            + (
                f"Your existing Savings Plans left ${unused_hourly.quantize(Decimal('0.001')):f}/h unused last period, "
                "which is taken off first. "
                if unused_hourly
                else ""
            )
            + f"With a {(discount * 100).quantize(Decimal('0.1')):f}% discount "
            f"({discount_source}), a commitment of ${commitment:f}/h covers ${covered_hourly.quantize(Decimal('0.0001')):f}/h "
            f"of on-demand usage and saves ${covered_hourly.quantize(Decimal('0.0001')):f} × "
            f"{(discount * 100).quantize(Decimal('0.1')):f}% × 730 h = {money(savings)} a month. Break-even: the plan "
            f"pays off while at least {break_even.quantize(Decimal('0.1')):f}% of the commitment is used."
        )
        found.append(
            Candidate(
                detector="savings_plan_purchase",
                category="commitments",
                title=f"Buy a Compute Savings Plan of ${commitment:f}/hour",
                account_id="",
                region="",
                resource_id=f"compute-savings-plan-{currency}",
                resource_type="Compute Savings Plan",
                currency=currency,
                monthly_cost=cents(monthly_on_demand),
                monthly_savings=cents(savings),
                method=method,
                confidence="medium",
                effort="low",
                window_start=inputs.window_start,
                window_end=inputs.window_end,
                facts={
                    "hourly_commitment_usd": f"{commitment:f}",
                    "discount_percent": f"{(discount * 100).quantize(Decimal('0.1')):f}",
                    "break_even_utilization_percent": f"{break_even.quantize(Decimal('0.1')):f}",
                    "baseline_hourly_on_demand": money(baseline_hourly),
                    "term": "1 year, no upfront",
                },
                confirm_with=(
                    "AWS Cost Explorer's Savings Plans purchase recommendation for the same term and payment "
                    "option, and that no large compute reduction is planned within the term. Act on idle and "
                    "modernization recommendations first: they lower the baseline this commitment is sized on."
                ),
                evidence=(
                    Evidence(
                        label="Eligible on-demand compute (window)",
                        resource_id="",
                        usage_type="BoxUsage / Fargate / Lambda-GB-Second",
                        period_start=min(d.day for d in days),
                        period_end=max(d.day for d in days),
                        quantity=None,
                        unit="",
                        effective_cost=total,
                    ),
                ),
            )
        )
    return found


def _unused_savings_plan_hourly(inputs: DetectorInput) -> Decimal:
    period = inputs.commitments_period
    if period is None:
        return ZERO
    hours = calendar.monthrange(period.year, period.month)[1] * 24
    unused = sum((c.unused_effective_cost for c in inputs.commitments if c.commitment_type == "Savings Plan"), ZERO)
    return unused / hours


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def commitment_low_utilization(inputs: DetectorInput, prices: PriceBook) -> list[Candidate]:
    """RIs and Savings Plans whose amortized cost went partly unused in the last complete period."""
    period = inputs.commitments_period
    if period is None:
        return []
    limits = inputs.thresholds
    days_in_period = calendar.monthrange(period.year, period.month)[1]
    period_end = period.replace(day=days_in_period)
    found = []
    for commitment in inputs.commitments:
        total = commitment.used_effective_cost + commitment.unused_effective_cost
        if not total or commitment.utilization >= limits.commitment_min_utilization:
            continue
        waste = commitment.unused_effective_cost * HOURS_PER_MONTH / (days_in_period * 24)
        if waste < limits.min_monthly_savings:
            continue
        percent = (commitment.utilization * 100).quantize(Decimal("0.1"))
        is_ri = commitment.commitment_type == "Reserved Instance"
        found.append(
            Candidate(
                detector="commitment_low_utilization",
                category="commitments",
                title=(
                    f"{'Use or resell' if is_ri else 'Use more of'} the {commitment.commitment_type} "
                    f"{commitment.commitment_id.rsplit('/', 1)[-1]} ({percent:f}% used)"
                ),
                account_id=_account_of(commitment.commitment_id),
                region=commitment.commitment_id.split(":")[3] if commitment.commitment_id.count(":") > 3 else "",
                resource_id=commitment.commitment_id,
                resource_type=commitment.commitment_type,
                currency=commitment.currency,
                monthly_cost=cents(total * HOURS_PER_MONTH / (days_in_period * 24)),
                monthly_savings=cents(waste),
                method=(
                    f"In {period:%Y-%m} it covered {money(commitment.used_effective_cost)} of usage and "
                    f"{money(commitment.unused_effective_cost)} of its amortized cost went unused ({percent:f}% "
                    f"utilization): {money(waste)} a month paid for nothing. "
                    + (
                        "Moving matching on-demand usage onto it, exchanging it (convertible) or selling it on the "
                        "RI Marketplace (standard) recovers that."
                        if is_ri
                        else "Running more eligible compute under it recovers that; a Savings Plan cannot be "
                        "cancelled, so do not buy more until it is used."
                    )
                ),
                confidence="medium",
                effort="medium",
                window_start=period,
                window_end=period_end,
                facts={
                    "billing_period": f"{period:%Y-%m}",
                    "utilization_percent": f"{percent:f}",
                    "unused_amortized_cost": money(commitment.unused_effective_cost),
                },
                confirm_with="The commitment's utilization report in AWS Cost Explorer for the current month.",
                evidence=(
                    Evidence(
                        label="Covered usage (amortized)",
                        resource_id=commitment.commitment_id,
                        usage_type="",
                        period_start=period,
                        period_end=period_end,
                        quantity=None,
                        unit="",
                        effective_cost=commitment.used_effective_cost,
                        coverage=commitment.commitment_type,
                    ),
                    Evidence(
                        label="Unused commitment (amortized)",
                        resource_id=commitment.commitment_id,
                        usage_type="",
                        period_start=period,
                        period_end=period_end,
                        quantity=None,
                        unit="",
                        effective_cost=commitment.unused_effective_cost,
                        coverage=commitment.commitment_type,
                    ),
                ),
            )
        )
    return found


DETECTORS = (savings_plan_purchase, commitment_low_utilization)
