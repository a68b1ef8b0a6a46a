"""The canonical (FOCUS 1.2) column set every mapper produces, in the order COPY writes it.

Mappers return an Arrow table with exactly these columns and types; the loader adds the
per-load constants (source, period, load id, job) and streams it as CSV into COPY.
"""

from __future__ import annotations

import re

import pyarrow as pa

from costs.vocabulary import BASES

TIMESTAMP = pa.timestamp("ms")  # naive, always UTC (PostgreSQL session time zone is UTC)
# Money and quantities travel as validated decimal text (never float) straight into NUMERIC;
# arithmetic (amortization) is done in these exact decimal types.
MONEY = pa.decimal128(30, 12)
QUANTITY = pa.decimal128(32, 15)
MONEY_LIMIT = 10**16  # NUMERIC(28,12) holds |x| < 10^16
QUANTITY_LIMIT = 10**17  # NUMERIC(32,15)

STRING_COLUMNS = (
    "billing_account_id",
    "billing_account_name",
    "sub_account_id",
    "sub_account_name",
    "provider_name",
    "publisher_name",
    "invoice_issuer_name",
    "service_name",
    "service_category",
    "region_id",
    "region_name",
    "availability_zone",
    "resource_id",
    "resource_name",
    "resource_type",
    "sku_id",
    "sku_price_id",
    "x_usage_type",
    "x_operation",
    "x_line_item_type",
    "charge_description",
    "charge_category",
    "charge_class",
    "charge_frequency",
    "pricing_category",
    "pricing_unit",
    "consumed_unit",
    "commitment_discount_id",
    "commitment_discount_type",
    "commitment_discount_category",
    "commitment_discount_status",
    "billing_currency",
)
TIMESTAMP_COLUMNS = ("billing_period_start", "billing_period_end", "charge_period_start", "charge_period_end")
QUANTITY_COLUMNS = ("pricing_quantity", "consumed_quantity", "list_unit_price", "contracted_unit_price")
MONEY_COLUMNS = BASES
JSON_COLUMNS = ("tags",)

CANONICAL_SCHEMA = pa.schema(
    [pa.field(name, TIMESTAMP) for name in TIMESTAMP_COLUMNS]
    + [pa.field(name, pa.string()) for name in STRING_COLUMNS]
    + [pa.field(name, pa.string()) for name in QUANTITY_COLUMNS]
    + [pa.field(name, pa.string()) for name in JSON_COLUMNS]
    + [pa.field(name, pa.string()) for name in MONEY_COLUMNS]
)
CANONICAL_NAMES = tuple(CANONICAL_SCHEMA.names)

# Columns the loader prepends per load (not produced by mappers).
LOAD_COLUMNS = ("source_id", "billing_period", "load_id", "job_id")
COPY_COLUMNS = LOAD_COLUMNS + CANONICAL_NAMES

# What a row cannot do without; mappers check their own source names for these.
REQUIRED = ("billing_period_start", "charge_period_start", "billing_account_id", "billing_currency", "billed_cost")

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def column_key(header: str) -> str:
    """The name a column is matched by: case and separators ignored.

    `lineItem/UnblendedCost`, `lineitem/unblendedcost` (a tool lower-cased the header) and
    `line_item_unblended_cost` (Athena) are one column; so are `BilledCost` and `billed_cost`.
    """
    return _NOT_ALNUM.sub("", header.lower())


def folded_duplicates(names: list[str]) -> list[list[str]]:
    """Groups of names that are one column once case and separators are ignored (each group sorted)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(column_key(name), []).append(name)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)
