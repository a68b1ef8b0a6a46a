"""The line items of a billing period as FOCUS 1.2 columns, read in bounded batches (the FOCUS export).

Keyset on the line's id: each batch is one short query, so no transaction or server-side
cursor stays open while a worker writes the file (our connections go through a transaction
pooler, where server-side cursors are off). The batches read only the loads the period had when
the export started; a delivery that replaces the period meanwhile deletes them, which
`focus_period_unchanged` tells the caller (the file would otherwise mix two deliveries).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

# FOCUS 1.2 says ConsumedQuantity and ConsumedUnit MUST be null unless the charge is usage (and not an
# unused commitment), and RegionName / ResourceType MUST be null without a RegionId / ResourceId: bills
# (the FOCUS 1.0 sample among them) do not always follow this, so the export applies it. Likewise
# PricingQuantity MUST be null for tax and needs its PricingUnit (a quantity of nothing cannot be read);
# a line with a RegionId but no RegionName gets the name other lines of the period give that region.
_METERED = "charge_category = 'Usage' AND commitment_discount_status IS DISTINCT FROM 'Unused'"

# FOCUS 1.2 column -> the line item column (or SQL) it comes from. Order is the file's column order:
# the FOCUS columns alphabetically as the spec lists them, then our extensions (x_ prefix, as the
# spec requires of custom columns). None: a FOCUS column our line items do not carry (written as null).
FOCUS_COLUMNS: dict[str, str | None] = {
    "AvailabilityZone": "availability_zone",
    "BilledCost": "billed_cost",
    "BillingAccountId": "billing_account_id",
    "BillingAccountName": "billing_account_name",
    "BillingAccountType": None,
    "BillingCurrency": "billing_currency",
    "BillingPeriodEnd": "billing_period_end",
    "BillingPeriodStart": "billing_period_start",
    "CapacityReservationId": None,
    "CapacityReservationStatus": None,
    "ChargeCategory": "charge_category",
    "ChargeClass": "charge_class",
    "ChargeDescription": "charge_description",
    "ChargeFrequency": "charge_frequency",
    "ChargePeriodEnd": "charge_period_end",
    "ChargePeriodStart": "charge_period_start",
    "CommitmentDiscountCategory": "commitment_discount_category",
    "CommitmentDiscountId": "commitment_discount_id",
    "CommitmentDiscountName": None,
    "CommitmentDiscountQuantity": None,
    "CommitmentDiscountStatus": "commitment_discount_status",
    "CommitmentDiscountType": "commitment_discount_type",
    "CommitmentDiscountUnit": None,
    "ConsumedQuantity": f"CASE WHEN {_METERED} THEN consumed_quantity END",
    "ConsumedUnit": f"CASE WHEN {_METERED} THEN consumed_unit END",
    "ContractedCost": "contracted_cost",
    "ContractedUnitPrice": "contracted_unit_price",
    "EffectiveCost": "effective_cost",
    "InvoiceId": None,
    "InvoiceIssuerName": "invoice_issuer_name",
    "ListCost": "list_cost",
    "ListUnitPrice": "list_unit_price",
    "PricingCategory": "pricing_category",
    "PricingCurrency": None,
    "PricingCurrencyContractedUnitPrice": None,
    "PricingCurrencyEffectiveCost": None,
    "PricingCurrencyListUnitPrice": None,
    "PricingQuantity": "CASE WHEN charge_category <> 'Tax' AND pricing_unit IS NOT NULL THEN pricing_quantity END",
    "PricingUnit": "pricing_unit",
    "ProviderName": "provider_name",
    "PublisherName": "publisher_name",
    "RegionId": "region_id",
    "RegionName": "CASE WHEN region_id IS NOT NULL THEN region_name END",
    "ResourceId": "resource_id",
    "ResourceName": "resource_name",
    "ResourceType": "CASE WHEN resource_id IS NOT NULL THEN resource_type END",
    "ServiceCategory": "service_category",
    "ServiceName": "service_name",
    "ServiceSubcategory": None,
    "SkuId": "sku_id",
    "SkuMeter": None,
    "SkuPriceDetails": None,
    "SkuPriceId": "sku_price_id",
    "SubAccountId": "sub_account_id",
    "SubAccountName": "sub_account_name",
    "SubAccountType": None,
    "Tags": "tags::text",
    "x_UnblendedCost": "unblended_cost",
    "x_NetUnblendedCost": "net_unblended_cost",
    "x_UsageType": "x_usage_type",
    "x_Operation": "x_operation",
    "x_LineItemType": "x_line_item_type",
}

_SELECTED = [(name, sql) for name, sql in FOCUS_COLUMNS.items() if sql is not None]


@dataclass(frozen=True)
class FocusPeriod:
    """What an export of a billing period covers: the loads it had at the start and their line count."""

    billing_period: datetime.date
    loads: tuple[int, ...]
    rows: int


def focus_billed_periods() -> list[datetime.date]:
    """Billing periods some bill (not a Cost Explorer estimate) delivered, newest first."""
    with connection.cursor() as db:
        db.execute(
            "SELECT DISTINCT billing_period FROM costs_dailycostrollup WHERE NOT is_estimate ORDER BY billing_period DESC"
        )
        return [row[0] for row in db.fetchall()]


def focus_period(*, billing_period: datetime.date) -> FocusPeriod:
    """The loads of the period's line items now, and how many lines they hold."""
    with connection.cursor() as db:
        db.execute(
            "SELECT load_id, count(*) FROM costs_costlineitem WHERE billing_period = %s GROUP BY load_id ORDER BY load_id",
            [billing_period],
        )
        counts = db.fetchall()
    return FocusPeriod(billing_period, tuple(load for load, _ in counts), sum(n for _, n in counts))


def focus_period_unchanged(period: FocusPeriod) -> bool:
    """Whether the period still holds exactly the lines it had when `period` was taken."""
    return focus_period(billing_period=period.billing_period) == period


def focus_line_batches(*, period: FocusPeriod, batch_size: int = 20_000) -> Iterator[dict[str, list[Any]]]:
    """The period's line items, `batch_size` at a time, as {FOCUS column: values} (only the columns
    the line items carry; money and quantities as Decimal, timestamps aware UTC, Tags JSON text)."""
    if not period.loads:
        return
    select = ", ".join(sql for _, sql in _SELECTED)
    names = [name for name, _ in _SELECTED]
    with connection.cursor() as db:
        db.execute(
            "SELECT region_id, min(region_name) FROM costs_costlineitem"
            " WHERE billing_period = %s AND load_id = ANY(%s) AND region_name IS NOT NULL GROUP BY region_id",
            [period.billing_period, list(period.loads)],
        )
        region_names = dict(db.fetchall())
    last_id = 0
    while True:
        with connection.cursor() as db:
            db.execute(
                f"SELECT id, {select} FROM costs_costlineitem"
                " WHERE billing_period = %s AND load_id = ANY(%s) AND id > %s ORDER BY id LIMIT %s",
                [period.billing_period, list(period.loads), last_id, batch_size],
            )
            rows = db.fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        columns = list(zip(*rows, strict=True))
        batch = {name: list(columns[i + 1]) for i, name in enumerate(names)}
        batch["RegionName"] = [
            name if name is not None or region is None else region_names.get(region)
            for region, name in zip(batch["RegionId"], batch["RegionName"], strict=True)
        ]
        yield batch
        if len(rows) < batch_size:
            return
