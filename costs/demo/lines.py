"""The demo company's lines: one static row per resource, and the monthly fee/tax/credit lines."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import uuid
from typing import Any

import pyarrow as pa

from costs.demo.catalog import ACCOUNTS, PAYER, REGIONS, SERVICES, WEEKDAY_DRIVEN, Company

UTC_MS = pa.timestamp("ms", tz="UTC")
DYNAMIC_SCHEMA = pa.schema(
    [
        ("identity_line_item_id", pa.string()),
        ("identity_time_interval", pa.string()),
        ("bill_billing_period_start_date", UTC_MS),
        ("bill_billing_period_end_date", UTC_MS),
        ("line_item_usage_start_date", UTC_MS),
        ("line_item_usage_end_date", UTC_MS),
        ("line_item_usage_amount", pa.float64()),
        ("line_item_unblended_cost", pa.float64()),
        ("pricing_public_on_demand_cost", pa.float64()),
        ("reservation_effective_cost", pa.float64()),
        ("reservation_amortized_upfront_cost_for_usage", pa.float64()),
        ("reservation_recurring_fee_for_usage", pa.float64()),
        ("savings_plan_savings_plan_effective_cost", pa.float64()),
    ]
)
STATIC_DOUBLES = (
    "reservation_amortized_upfront_fee_for_billing_period",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "savings_plan_recurring_commitment_for_billing_period",
)
SP_ARN = f"arn:aws:savingsplans::{PAYER[0]}:savingsplan/{uuid.uuid5(uuid.NAMESPACE_URL, 'northwind-sp')}"
UPFRONT_SHARE = 0.28
RECURRING_SHARE = 0.30


def ri_arn(resource_index: int, region: str) -> str:
    return (
        f"arn:aws:ec2:{region}:{PAYER[0]}:reserved-instances/{uuid.uuid5(uuid.NAMESPACE_URL, f'ri-{resource_index}')}"
    )


def _sku(*parts: Any) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:16].upper()  # noqa: S324 - a label, not security


def _static_row(index: int, resource: Any) -> dict[str, Any]:
    code, product, family, usage_type, operation, unit, price, _units, _prefix, _w, _c = SERVICES[resource.service]
    account_id, account_name = ACCOUNTS[resource.account]
    region, location, _ = REGIONS[resource.region]
    kind = {"ri": "DiscountedUsage", "sp": "SavingsPlanCoveredUsage"}.get(resource.commitment, "Usage")
    hourly = unit in ("Hrs", "NodeHour") and _units == 24
    row: dict[str, Any] = {
        "bill_bill_type": "Anniversary",
        "bill_billing_entity": "AWS",
        "bill_invoicing_entity": "Amazon Web Services, Inc.",
        "bill_payer_account_id": PAYER[0],
        "bill_payer_account_name": PAYER[1],
        "line_item_usage_account_id": account_id,
        "line_item_usage_account_name": account_name,
        "line_item_line_item_type": kind,
        "line_item_product_code": code,
        "line_item_usage_type": usage_type,
        "line_item_operation": operation,
        "line_item_availability_zone": f"{region}a" if family == "Compute Instance" else "",
        "line_item_resource_id": resource.resource_id,
        "line_item_currency_code": "USD",
        "line_item_unblended_rate": "0" if kind == "DiscountedUsage" else repr(price),
        "line_item_line_item_description": f"${price} per {unit} for {usage_type} in {location}",
        "line_item_legal_entity": "Amazon Web Services, Inc.",
        "product_product_name": product,
        "product_product_family": family,
        "product_region_code": region,
        "product_location": location,
        "product_servicecode": code,
        "product_sku": _sku(code, usage_type, region),
        "product_instance_type": usage_type.split(":", 1)[1] if family.endswith("Instance") else "",
        "pricing_public_on_demand_rate": repr(price),
        "pricing_term": "Reserved" if kind == "DiscountedUsage" else "OnDemand",
        "pricing_unit": unit,
        "pricing_rate_id": str(int(_sku(code, usage_type, region, "rate")[:8], 16)),
        "reservation_reservation_a_r_n": ri_arn(index, region) if kind == "DiscountedUsage" else "",
        "savings_plan_savings_plan_a_r_n": SP_ARN if kind == "SavingsPlanCoveredUsage" else "",
        "savings_plan_savings_plan_rate": repr(round(price * 0.72, 10)) if kind == "SavingsPlanCoveredUsage" else "",
    }
    for name in STATIC_DOUBLES:
        row[name] = 0.0
    for key in ("environment", "team", "application", "cost_center"):
        row[f"tag_{key}"] = resource.tags.get(key, "")
    row["tag_project"] = f"prj-{resource.tags['application']}" if "application" in resource.tags else ""
    row.update(
        {
            "x_index": index,
            "x_service": resource.service,
            "x_stops_on_day": resource.stops_on_day,
            "x_weekday_driven": code in WEEKDAY_DRIVEN,
            "x_hourly": hourly or resource.idle or bool(resource.trend),
            "x_daily_units": float(_units if hourly else resource.daily_units),
            "x_trend": float(resource.trend),
            "x_price": float(price),
            "x_line_id": _sku("line", index),
        }
    )
    return row


def static_table(company: Company) -> pa.Table:
    rows = [_static_row(index, resource) for index, resource in enumerate(company.resources)]
    if company.workloads:  # the column exists only in bills asked to carry the tag
        for row, resource in zip(rows, company.resources, strict=True):
            row["tag_workload"] = resource.tags.get("workload", "")
    return pa.Table.from_pylist(rows)


def full_schema(statics: pa.Table) -> pa.Schema:
    fields = list(statics.schema) + list(DYNAMIC_SCHEMA)
    return pa.schema(fields + [("x_expected_billed", pa.string()), ("x_expected_amortized", pa.string())])


def _money(value: float) -> float:
    return round(value, 10)


def monthly_lines(company: Company, statics: pa.Table, period: datetime.date, month_index: int, book: Any) -> pa.Table:
    """RIFee, upfront RI Fee, Savings Plan fee, taxes, support fee, credit and refund for one month.

    `x_expected_*` carry what each line (or the commitment it settles) adds to the billed
    and amortized totals, from the generator's parameters.
    """
    days = calendar.monthrange(period.year, period.month)[1]
    hours = days * 24
    start = datetime.datetime(period.year, period.month, 1, tzinfo=datetime.UTC)
    end = start + datetime.timedelta(days=days)
    base = {
        "bill_bill_type": "Anniversary",
        "bill_billing_entity": "AWS",
        "bill_invoicing_entity": "Amazon Web Services, Inc.",
        "bill_payer_account_id": PAYER[0],
        "bill_payer_account_name": PAYER[1],
        "bill_billing_period_start_date": start,
        "bill_billing_period_end_date": end,
        "line_item_usage_start_date": start,
        "line_item_usage_end_date": end,
        "identity_time_interval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
        "line_item_currency_code": "USD",
        "line_item_legal_entity": "Amazon Web Services, Inc.",
        "line_item_usage_amount": 0.0,
        **{name: 0.0 for name in STATIC_DOUBLES},
    }
    rows: list[dict[str, Any]] = []

    def add(billed: float, amortized: float, **fields: Any) -> None:
        line = {**base, **fields}
        line["identity_line_item_id"] = _sku("monthly", period, len(rows))
        line["x_expected_billed"] = f"{billed:.10f}"
        line["x_expected_amortized"] = f"{amortized:.10f}"
        rows.append(line)

    for index, resource in enumerate(company.resources):
        if resource.commitment != "ri":
            continue
        code, product, _f, usage_type, operation, _u, price, *_ = SERVICES[resource.service]
        region = REGIONS[resource.region][0]
        upfront, recurring = price * UPFRONT_SHARE, price * RECURRING_SHARE
        used = book.ri_hours.get(index, 0)
        instance = usage_type.split(":", 1)[1]
        ri = {
            "line_item_usage_account_id": PAYER[0],
            "line_item_usage_account_name": PAYER[1],
            "line_item_product_code": code,
            "product_product_name": product,
            "product_region_code": region,
            "reservation_reservation_a_r_n": ri_arn(index, region),
            "line_item_operation": operation,
        }
        add(
            _money(recurring * hours),
            _money((upfront + recurring) * hours),
            line_item_line_item_type="RIFee",
            line_item_usage_type=f"HeavyUsage:{instance}",
            line_item_usage_amount=float(hours),
            line_item_unblended_cost=_money(recurring * hours),
            line_item_line_item_description=f"USD {recurring:.4f} hourly fee per {instance} reservation",
            reservation_amortized_upfront_fee_for_billing_period=_money(upfront * hours),
            reservation_unused_amortized_upfront_fee_for_billing_period=_money(upfront * (hours - used)),
            reservation_unused_recurring_fee=_money(recurring * (hours - used)),
            **ri,
        )
        if month_index == 0:  # bought at the start of the first month: a year paid upfront
            add(
                _money(upfront * 8760),
                0.0,
                line_item_line_item_type="Fee",
                line_item_usage_type=f"HeavyUsage:{instance}",
                line_item_unblended_cost=_money(upfront * 8760),
                line_item_line_item_description=f"Sign up charge for {instance} reservation",
                **ri,
            )
    if book.sp_used > 0:
        commitment = round(book.sp_used * 1.12, 2)
        add(
            commitment,
            commitment,
            line_item_line_item_type="SavingsPlanRecurringFee",
            line_item_usage_account_id=PAYER[0],
            line_item_usage_account_name=PAYER[1],
            line_item_product_code="ComputeSavingsPlans",
            product_product_name="Savings Plans for AWS Compute usage",
            line_item_usage_type="ComputeSP:1yrNoUpfront",
            line_item_unblended_cost=commitment,
            savings_plan_savings_plan_a_r_n=SP_ARN,
            savings_plan_total_commitment_to_date=commitment,
            savings_plan_used_commitment=_money(book.sp_used),
            savings_plan_recurring_commitment_for_billing_period=commitment,
            line_item_line_item_description="1 year No Upfront Compute Savings Plan",
        )
    total_usage = 0.0
    for (account_id, code), amount in sorted(book.usage_by_account_service.items()):
        total_usage += amount
        tax = _money(amount * 0.06)
        name = dict(ACCOUNTS)[account_id]
        add(
            tax,
            tax,
            line_item_line_item_type="Tax",
            line_item_usage_account_id=account_id,
            line_item_usage_account_name=name,
            line_item_product_code=code,
            line_item_unblended_cost=tax,
            line_item_line_item_description=f"Tax for product code {code}",
        )
    support = round(total_usage * 0.05, 2)
    credit = -round(total_usage * 0.02, 2)
    for kind, amount, code, description in (
        ("Fee", support, "AWSSupportBusiness", "AWS Support (Business)"),
        ("Credit", credit, "AmazonEC2", "AWS Activate credits"),
        *((("Refund", -12.34, "AmazonS3", "Refund for service disruption"),) if month_index == 1 else ()),
    ):
        add(
            amount,
            amount,
            line_item_line_item_type=kind,
            line_item_usage_account_id=PAYER[0],
            line_item_usage_account_name=PAYER[1],
            line_item_product_code=code,
            line_item_unblended_cost=amount,
            line_item_line_item_description=description,
        )
    return pa.Table.from_pylist(rows, schema=full_schema(statics))
