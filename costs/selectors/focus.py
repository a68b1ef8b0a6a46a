"""The line items of a billing period as FOCUS 1.2 columns, read in bounded batches (the FOCUS export).

Each batch is one `COPY (SELECT ...) TO STDOUT` of at most `batch_size` lines, keyset on the line's id
within the id range the period's loads occupy (ids of a load are contiguous: COPY writes it), read into
Arrow as FOCUS text: decimals in plain notation (PostgreSQL's NUMERIC text never uses exponents, and
trailing zeros are trimmed), Date/Time as ISO 8601 UTC `YYYY-MM-DDTHH:MM:SSZ`, Tags as JSON object text,
null where the line has no value. No transaction or server-side cursor stays open while a worker writes
the file (connections go through a transaction pooler). The batches read only the loads the period had
when the export started; a delivery that replaces the period meanwhile deletes them, which
`focus_period_unchanged` tells the caller (the file would otherwise mix two deliveries).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection
from psycopg import sql

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

# How FOCUS types them (costs.models: money NUMERIC(28,12), quantities and unit prices NUMERIC(32,15)).
FOCUS_MONEY = frozenset(
    {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingCurrencyEffectiveCost"}
    | {"x_UnblendedCost", "x_NetUnblendedCost"}
)
FOCUS_QUANTITIES = frozenset(
    {"CommitmentDiscountQuantity", "ConsumedQuantity", "ContractedUnitPrice", "ListUnitPrice", "PricingQuantity"}
    | {"PricingCurrencyContractedUnitPrice", "PricingCurrencyListUnitPrice"}
)
FOCUS_DATETIMES = frozenset({"BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"})


def _as_text(name: str, expression: str) -> str:
    if name in FOCUS_MONEY or name in FOCUS_QUANTITIES:
        expression = f"trim_scale({expression})::text"
    elif name in FOCUS_DATETIMES:
        expression = f"""to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    return f'{expression} AS "{name}"'


_SELECTED = [(name, expression) for name, expression in FOCUS_COLUMNS.items() if expression is not None]
_SELECT = ", ".join(_as_text(name, expression) for name, expression in _SELECTED)
_READ = pa_csv.ConvertOptions(
    column_types={"id": pa.int64(), **{name: pa.string() for name, _ in _SELECTED}},
    strings_can_be_null=True,
    quoted_strings_can_be_null=False,  # COPY writes NULL unquoted and an empty string as ""
)
_PARSE = pa_csv.ParseOptions(newlines_in_values=True)


@dataclass(frozen=True)
class FocusPeriod:
    """What an export of a billing period covers: the loads it had at the start, their line count and id range."""

    billing_period: datetime.date
    loads: tuple[int, ...]
    rows: int
    first_id: int = 0
    last_id: int = 0


def focus_billed_periods() -> list[datetime.date]:
    """Billing periods some bill (not a Cost Explorer estimate) delivered, newest first."""
    with connection.cursor() as db:
        db.execute(
            "SELECT DISTINCT billing_period FROM costs_dailycostrollup WHERE NOT is_estimate ORDER BY billing_period DESC"
        )
        return [row[0] for row in db.fetchall()]


def focus_period(*, billing_period: datetime.date) -> FocusPeriod:
    """The loads of the period's line items now, how many lines they hold and the ids they span."""
    with connection.cursor() as db:
        db.execute(
            "SELECT load_id, count(*), min(id), max(id) FROM costs_costlineitem WHERE billing_period = %s"
            " GROUP BY load_id ORDER BY load_id",
            [billing_period],
        )
        loads = db.fetchall()
    if not loads:
        return FocusPeriod(billing_period, (), 0)
    return FocusPeriod(
        billing_period,
        tuple(load for load, *_ in loads),
        sum(n for _, n, _, _ in loads),
        min(first for *_, first, _ in loads),
        max(last for *_, last in loads),
    )


def focus_period_unchanged(period: FocusPeriod) -> bool:
    """Whether the period still holds exactly the lines it had when `period` was taken."""
    return focus_period(billing_period=period.billing_period) == period


def focus_line_batches(*, period: FocusPeriod, batch_size: int = 20_000) -> Iterator[pa.Table]:
    """The period's line items, `batch_size` at a time, as Arrow tables of FOCUS text (string columns
    named as FOCUS_COLUMNS, only those the line items carry; formats in the module's docstring)."""
    if not period.loads:
        return
    loads = sql.SQL(", ").join(sql.Literal(int(load)) for load in period.loads)
    with connection.cursor() as db:
        db.execute(
            "SELECT region_id, min(region_name) FROM costs_costlineitem WHERE billing_period = %s"
            " AND id BETWEEN %s AND %s AND load_id = ANY(%s) AND region_id IS NOT NULL AND region_name IS NOT NULL GROUP BY region_id",
            [period.billing_period, period.first_id, period.last_id, list(period.loads)],
        )
        region_names = db.fetchall()
    region_ids = pa.array([region for region, _ in region_names], pa.string())
    region_texts = pa.array([name for _, name in region_names], pa.string())
    after = period.first_id - 1
    while True:
        statement = sql.SQL(
            "COPY (SELECT id, {select} FROM costs_costlineitem WHERE id > {after} AND id <= {last}"
            " AND billing_period = {period} AND load_id IN ({loads}) ORDER BY id LIMIT {limit})"
            " TO STDOUT (FORMAT csv, HEADER true)"
        ).format(
            select=sql.SQL(_SELECT),
            after=sql.Literal(int(after)),
            last=sql.Literal(int(period.last_id)),
            period=sql.Literal(period.billing_period),
            loads=loads,
            limit=sql.Literal(int(batch_size)),
        )
        buffer = io.BytesIO()
        with connection.cursor() as db, db.cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        table = pa_csv.read_csv(buffer, parse_options=_PARSE, convert_options=_READ)
        if not table.num_rows:
            return
        after = table.column("id")[-1].as_py()
        # A line with a RegionId but no RegionName: the name other lines of the period give it.
        named = pc.take(region_texts, pc.index_in(table.column("RegionId"), value_set=region_ids))
        table = table.set_column(
            table.schema.get_field_index("RegionName"), "RegionName", pc.coalesce(table.column("RegionName"), named)
        )
        yield table.drop_columns(["id"])
        if table.num_rows < batch_size:
            return
