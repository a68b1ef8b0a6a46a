"""AWS CUR (legacy CSV/Parquet and CUR 2.0) -> canonical FOCUS columns.

Follows the FOCUS converters' column mapping and AWS's published amortization formulas
(the CUDOS "amortized cost" CASE): Savings Plans and Reserved Instances are spread onto the
usage they cover, and only the unused part of a commitment stays on the fee line, so
amortized totals neither drop nor double-count commitment fees.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from costs.ingest.columns import CANONICAL_SCHEMA, MONEY, column_key
from costs.ingest.convert import (
    BatchContext,
    decimal_of,
    string_or_null,
    text_of,
    to_decimal_text,
    to_timestamp,
)
from costs.ingest.cur_tags import tag_key, tags_from_columns, tags_from_map
from costs.ingest.errors import IngestError
from costs.vocabulary import ChargeCategory

# Athena name -> the legacy CSV name, for messages in the file's own style.
REQUIRED = {
    "bill_payer_account_id": "bill/PayerAccountId",
    "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "line_item_usage_start_date": "lineItem/UsageStartDate",
    "line_item_line_item_type": "lineItem/LineItemType",
    "line_item_currency_code": "lineItem/CurrencyCode",
    "line_item_unblended_cost": "lineItem/UnblendedCost",
}
# Column groups only a CUR has (legacy `lineItem/...` or Athena `line_item_...`).
_CUR_PREFIX = re.compile(
    r"(?i)^(line_?item|bill|pricing|product|reservation|savings_?plan|identity|resource_?tags)[/_]"
)

# CUR lineItem/LineItemType -> FOCUS ChargeCategory (refunds and discounts are credits in FOCUS).
CHARGE_CATEGORY: dict[str, str] = {
    "Usage": ChargeCategory.USAGE.value,
    "DiscountedUsage": ChargeCategory.USAGE.value,
    "SavingsPlanCoveredUsage": ChargeCategory.USAGE.value,
    "SavingsPlanNegation": ChargeCategory.USAGE.value,
    "Tax": ChargeCategory.TAX.value,
    "Credit": ChargeCategory.CREDIT.value,
    "Refund": ChargeCategory.CREDIT.value,
    "BundledDiscount": ChargeCategory.CREDIT.value,
    "Discount": ChargeCategory.CREDIT.value,
    "EdpDiscount": ChargeCategory.CREDIT.value,
    "PrivateRateDiscount": ChargeCategory.CREDIT.value,
    "SavingsPlanUpfrontFee": ChargeCategory.PURCHASE.value,
    "SavingsPlanRecurringFee": ChargeCategory.PURCHASE.value,
    "RIFee": ChargeCategory.PURCHASE.value,
    "Fee": ChargeCategory.PURCHASE.value,
}
CHARGE_FREQUENCY = {
    "SavingsPlanRecurringFee": "Recurring",
    "RIFee": "Recurring",
    "SavingsPlanUpfrontFee": "One-Time",
    "Fee": "One-Time",
    "Tax": "Recurring",
    "Credit": "One-Time",
    "Refund": "One-Time",
}
SERVICE_CATEGORY = {
    "AmazonEC2": "Compute",
    "AWSLambda": "Compute",
    "AmazonECS": "Compute",
    "AmazonEKS": "Compute",
    "AWSFargate": "Compute",
    "AmazonLightsail": "Compute",
    "AmazonS3": "Storage",
    "AmazonEFS": "Storage",
    "AmazonFSx": "Storage",
    "AWSBackup": "Storage",
    "AmazonGlacier": "Storage",
    "AmazonRDS": "Databases",
    "AmazonDynamoDB": "Databases",
    "AmazonElastiCache": "Databases",
    "AmazonRedshift": "Databases",
    "AmazonDocDB": "Databases",
    "AmazonNeptune": "Databases",
    "AmazonVPC": "Networking",
    "AmazonCloudFront": "Networking",
    "AmazonRoute53": "Networking",
    "AWSELB": "Networking",
    "AWSDataTransfer": "Networking",
    "AmazonApiGateway": "Networking",
    "AWSDirectConnect": "Networking",
    "AmazonCloudWatch": "Management and Governance",
    "AWSCloudTrail": "Management and Governance",
    "AWSConfig": "Management and Governance",
    "AWSCostExplorer": "Management and Governance",
    "AWSSystemsManager": "Management and Governance",
    "AmazonSNS": "Integration",
    "AmazonSQS": "Integration",
    "AWSQueueService": "Integration",
    "AmazonKinesis": "Analytics",
    "AmazonAthena": "Analytics",
    "AWSGlue": "Analytics",
    "AmazonES": "Analytics",
    "AmazonSageMaker": "AI and Machine Learning",
    "AmazonBedrock": "AI and Machine Learning",
    "awskms": "Security",
    "AWSSecretsManager": "Security",
    "AmazonGuardDuty": "Security",
    "AWSShield": "Security",
    "AWSWAF": "Security",
}
SP_TYPES = ("SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee")
RI_TYPES = ("DiscountedUsage", "RIFee")


def looks_like_cur(names: list[str]) -> bool:
    keys = {column_key(n) for n in names}
    return {column_key("line_item_unblended_cost"), column_key("line_item_line_item_type")} <= keys


def cur_likeness(names: list[str]) -> int:
    """How many columns carry a CUR column group's prefix (for telling a near miss from another format)."""
    return sum(1 for name in names if _CUR_PREFIX.match(name))


def cur_missing(names: list[str]) -> list[str]:
    """The mandatory CUR columns this header lacks, named in its own style (legacy or Athena)."""
    keys = {column_key(n) for n in names}
    legacy = any("/" in n for n in names)
    return [
        legacy_name if legacy else athena for athena, legacy_name in REQUIRED.items() if column_key(athena) not in keys
    ]


def is_cur2(schema: pa.Schema | None, names: list[str]) -> bool:
    """CUR 2.0 has MAP columns `product`/`resource_tags`; legacy has one column per attribute."""
    if schema is not None:
        for field in schema:
            if field.name in ("product", "resource_tags") and pa.types.is_map(field.type):
                return True
    return False


def lookup(values: pa.Array, mapping: dict[str, str], default: str | None) -> pa.Array:
    keys = pa.array(list(mapping), pa.string())
    found = pc.take(pa.array(list(mapping.values()), pa.string()), pc.index_in(values, value_set=keys))
    return found if default is None else pc.fill_null(found, default)


class CurMapper:
    """Maps batches of one CUR file; the plan (which columns exist) is made once per file."""

    def __init__(self, names: list[str], file: str, *, schema: pa.Schema | None = None) -> None:
        self.file = file
        self.by_key: dict[str, str] = {}  # column_key -> the file's column name
        self.tag_columns: dict[str, str] = {}
        for name in names:
            key = tag_key(name)
            if key is not None:
                self.tag_columns[key] = name
            else:
                self.by_key.setdefault(column_key(name), name)
        self.cur2 = is_cur2(schema, names)
        self.label = "cur2" if self.cur2 else "cur_legacy"
        missing = cur_missing(names)
        if missing:
            raise IngestError(f"is missing required CUR column(s): {', '.join(missing)}", file=file)

    @property
    def source_columns(self) -> dict[str, str]:
        """Canonical column -> the file's column, for the columns checked after mapping."""
        pairs = {"billing_currency": "line_item_currency_code", "tags": "resource_tags"}
        return {canon: self.by_key[column_key(cur)] for canon, cur in pairs.items() if column_key(cur) in self.by_key}

    def _source(self, name: str) -> str:
        """The file's name of the column AWS calls `name` in Athena (e.g. `lineItem/UnblendedCost`)."""
        return self.by_key[column_key(name)]

    def _col(self, batch: pa.RecordBatch, name: str) -> Any:
        source = self.by_key.get(column_key(name))
        return batch.column(source) if source is not None else None

    def _text(self, batch: pa.RecordBatch, *names: str) -> pa.Array:
        """First present, non-empty value among the named columns, as text (NULL when none)."""
        n = batch.num_rows
        result: pa.Array | None = None
        for name in names:
            values = self._col(batch, name)
            if values is None:
                continue
            values = string_or_null(values, n)
            result = values if result is None else pc.coalesce(result, values)
        return result if result is not None else pa.nulls(n, pa.string())

    def _product(self, batch: pa.RecordBatch, key: str) -> pa.Array | None:
        product = self._col(batch, "product")
        if product is None or not pa.types.is_map(product.type):
            return None
        return string_or_null(pc.map_lookup(product, key, "first"), batch.num_rows)

    def _money(self, batch: pa.RecordBatch, ctx: BatchContext, name: str, *, required: bool = False) -> pa.Array:
        values = self._col(batch, name)
        if values is None:
            return pa.nulls(batch.num_rows, pa.string())
        if pa.types.is_string(values.type):
            values = string_or_null(values, batch.num_rows)
        return to_decimal_text(values, ctx, self._source(name), required=required)

    def _quantity(self, batch: pa.RecordBatch, ctx: BatchContext, name: str) -> pa.Array:
        values = self._col(batch, name)
        if values is None:
            return pa.nulls(batch.num_rows, pa.string())
        if pa.types.is_string(values.type):
            values = string_or_null(values, batch.num_rows)
        return to_decimal_text(values, ctx, self._source(name), money=False)

    def map(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.Table:
        n = batch.num_rows
        kind = self._text(batch, "line_item_line_item_type")
        for name in ("bill_payer_account_id", "line_item_currency_code", "line_item_line_item_type"):
            values = self._text(batch, name)
            if values.null_count:
                index = pc.index(pc.is_null(values), True).as_py()
                raise ctx.error("is empty but required", index=index, column=self._source(name))

        def ts(name: str, required: bool = False) -> pa.Array:
            values = self._col(batch, name)
            if values is None:
                return pa.nulls(n, pa.timestamp("ms"))
            if pa.types.is_string(values.type):
                values = string_or_null(values, n)
            return to_timestamp(values, ctx, self._source(name), required=required)

        unblended = self._money(batch, ctx, "line_item_unblended_cost", required=True)
        if unblended.null_count:
            index = pc.index(pc.is_null(unblended), True).as_py()
            raise ctx.error("is empty but required", index=index, column=self._source("line_item_unblended_cost"))
        money = {
            name: self._money(batch, ctx, name)
            for name in (
                "savings_plan_savings_plan_effective_cost",
                "savings_plan_total_commitment_to_date",
                "savings_plan_used_commitment",
                "reservation_effective_cost",
                "reservation_unused_amortized_upfront_fee_for_billing_period",
                "reservation_unused_recurring_fee",
            )
        }
        product_code = self._text(batch, "line_item_product_code")
        service_name = self._product(batch, "product_name") if self.cur2 else None
        service_name = pc.coalesce(
            *(v for v in (service_name, self._text(batch, "product_product_name"), product_code) if v is not None)
        )
        region = self._text(batch, "product_region_code", "product_region")
        region_name = self._text(batch, "product_location")
        if self.cur2 and region_name.null_count == n:
            region_name = self._product(batch, "location") or region_name
        is_sp = pc.is_in(kind, value_set=pa.array(SP_TYPES))
        is_ri = pc.is_in(kind, value_set=pa.array(RI_TYPES))
        covered = pc.is_in(kind, value_set=pa.array(["DiscountedUsage", "SavingsPlanCoveredUsage"]))
        null_text = pa.scalar(None, pa.string())
        commitment_id = pc.if_else(
            is_sp,
            self._text(batch, "savings_plan_savings_plan_a_r_n"),
            pc.if_else(is_ri, self._text(batch, "reservation_reservation_a_r_n"), null_text),
        )
        spot = pc.fill_null(pc.equal(self._text(batch, "pricing_term"), "Spot"), False)
        pricing_category = pc.if_else(
            covered,
            "Committed",
            pc.if_else(pc.equal(kind, "Usage"), pc.if_else(spot, "Dynamic", "Standard"), null_text),
        )
        usage_amount = self._quantity(batch, ctx, "line_item_usage_amount")
        is_usage = pc.equal(pc.fill_null(lookup(kind, CHARGE_CATEGORY, None), ""), ChargeCategory.USAGE.value)
        out = {
            "billing_period_start": ts("bill_billing_period_start_date", required=True),
            "billing_period_end": ts("bill_billing_period_end_date"),
            "charge_period_start": ts("line_item_usage_start_date", required=True),
            "charge_period_end": ts("line_item_usage_end_date"),
            "billing_account_id": self._text(batch, "bill_payer_account_id"),
            "billing_account_name": self._text(batch, "bill_payer_account_name"),
            "sub_account_id": self._text(batch, "line_item_usage_account_id"),
            "sub_account_name": self._text(batch, "line_item_usage_account_name"),
            "provider_name": pa.array(["AWS"] * n, pa.string()),
            "publisher_name": self._text(batch, "bill_billing_entity"),
            "invoice_issuer_name": self._text(batch, "bill_invoicing_entity", "line_item_legal_entity"),
            "service_name": service_name,
            "service_category": lookup(product_code, SERVICE_CATEGORY, "Other"),
            "region_id": region,
            "region_name": region_name,
            "availability_zone": self._text(batch, "line_item_availability_zone"),
            "resource_id": self._text(batch, "line_item_resource_id"),
            "resource_name": pa.nulls(n, pa.string()),
            "resource_type": self._text(batch, "product_product_family"),
            "sku_id": self._text(batch, "product_sku"),
            "sku_price_id": self._text(batch, "pricing_rate_id"),
            "x_usage_type": self._text(batch, "line_item_usage_type"),
            "x_operation": self._text(batch, "line_item_operation"),
            "x_line_item_type": kind,
            "charge_description": self._text(batch, "line_item_line_item_description"),
            "charge_category": lookup(kind, CHARGE_CATEGORY, ChargeCategory.ADJUSTMENT.value),
            "charge_class": pc.if_else(pc.equal(kind, "Refund"), "Correction", null_text),
            "charge_frequency": lookup(kind, CHARGE_FREQUENCY, "Usage-Based"),
            "pricing_category": pricing_category,
            "pricing_quantity": usage_amount,
            "pricing_unit": self._text(batch, "pricing_unit"),
            "consumed_quantity": pc.if_else(is_usage, usage_amount, null_text),
            "consumed_unit": pc.if_else(is_usage, self._text(batch, "pricing_unit"), null_text),
            "list_unit_price": self._quantity(batch, ctx, "pricing_public_on_demand_rate"),
            "contracted_unit_price": self._quantity(batch, ctx, "line_item_unblended_rate"),
            "commitment_discount_id": commitment_id,
            "commitment_discount_type": pc.if_else(
                is_sp, "Savings Plan", pc.if_else(is_ri, "Reserved Instance", null_text)
            ),
            "commitment_discount_category": pc.if_else(is_sp, "Spend", pc.if_else(is_ri, "Usage", null_text)),
            "commitment_discount_status": pc.if_else(covered, "Used", null_text),
            "tags": self._tags(batch),
            "billing_currency": self._text(batch, "line_item_currency_code"),
            "billed_cost": unblended,
            "effective_cost": amortized_cost(
                kind, unblended, money, self._text(batch, "reservation_reservation_a_r_n")
            ),
            "list_cost": self._money(batch, ctx, "pricing_public_on_demand_cost"),
            "contracted_cost": unblended,
            "unblended_cost": unblended,
            "net_unblended_cost": self._money(batch, ctx, "line_item_net_unblended_cost"),
        }
        return pa.Table.from_pydict(out, schema=CANONICAL_SCHEMA)

    def _tags(self, batch: pa.RecordBatch) -> pa.Array:
        n = batch.num_rows
        tag_map = self._col(batch, "resource_tags")
        if tag_map is not None and pa.types.is_map(tag_map.type):
            return tags_from_map(tag_map)
        return tags_from_columns({key: batch.column(name) for key, name in self.tag_columns.items()}, n)


def amortized_cost(kind: pa.Array, unblended: pa.Array, money: dict[str, pa.Array], ri_arn: pa.Array) -> pa.Array:
    """AWS's amortized (effective) cost per line, exactly as its published CASE expression."""

    def dec(text: pa.Array) -> pa.Array:
        return pc.fill_null(decimal_of(text), pa.scalar(0, MONEY))

    def fit(values: pa.Array) -> pa.Array:
        return pc.cast(values, MONEY, safe=False)

    zero = pa.scalar(0, MONEY)
    effective = dec(unblended)
    cases = [
        ("SavingsPlanCoveredUsage", dec(money["savings_plan_savings_plan_effective_cost"])),
        (
            "SavingsPlanRecurringFee",
            fit(
                pc.subtract(
                    dec(money["savings_plan_total_commitment_to_date"]), dec(money["savings_plan_used_commitment"])
                )
            ),
        ),
        ("SavingsPlanNegation", zero),
        ("SavingsPlanUpfrontFee", zero),
        ("DiscountedUsage", dec(money["reservation_effective_cost"])),
        (
            "RIFee",
            fit(
                pc.add(
                    dec(money["reservation_unused_amortized_upfront_fee_for_billing_period"]),
                    dec(money["reservation_unused_recurring_fee"]),
                )
            ),
        ),
    ]
    for line_type, value in cases:
        effective = pc.if_else(pc.equal(kind, line_type), value, effective)
    # An upfront RI fee is spread over the term through DiscountedUsage/RIFee lines.
    upfront_ri = pc.and_(pc.equal(kind, "Fee"), pc.fill_null(pc.not_equal(ri_arn, ""), False))
    effective = pc.if_else(upfront_ri, zero, effective)
    return text_of(effective)
