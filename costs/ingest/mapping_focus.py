"""FOCUS (1.0-1.2, any provider) -> canonical columns. FOCUS names map one to one."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from costs.ingest.columns import (
    CANONICAL_SCHEMA,
    MONEY_COLUMNS,
    QUANTITY_COLUMNS,
    STRING_COLUMNS,
    TIMESTAMP_COLUMNS,
    column_key,
)
from costs.ingest.convert import BatchContext, string_or_null, to_decimal_text, to_timestamp
from costs.ingest.errors import IngestError

# Canonical name -> the FOCUS column it comes from, where the names differ.
RENAMED = {
    "provider_name": ("provider_name", "service_provider_name"),  # 1.2 renamed ProviderName
    "invoice_issuer_name": ("invoice_issuer_name", "invoice_issuer"),
    "publisher_name": ("publisher_name", "host_provider_name"),
}
REQUIRED = {
    "billing_period_start": "BillingPeriodStart",
    "charge_period_start": "ChargePeriodStart",
    "billing_account_id": "BillingAccountId",
    "billing_currency": "BillingCurrency",
    "charge_category": "ChargeCategory",
    "billed_cost": "BilledCost",
    "effective_cost": "EffectiveCost",
}


# Canonical columns that are CUR figures or extensions, not FOCUS columns.
_NOT_FOCUS = ("unblended_cost", "net_unblended_cost", "x_usage_type", "x_operation", "x_line_item_type")
# Every FOCUS column this mapper knows, as matched (to tell a near miss from another format).
_FOCUS_KEYS = frozenset(
    column_key(candidate)
    for canon in CANONICAL_SCHEMA.names
    if canon not in _NOT_FOCUS
    for candidate in RENAMED.get(canon, (canon,))
)


def looks_like_focus(names: list[str]) -> bool:
    keys = {column_key(n) for n in names}
    return {column_key("billed_cost"), column_key("charge_period_start"), column_key("billing_period_start")} <= keys


def focus_likeness(names: list[str]) -> int:
    """How many columns are FOCUS columns (BilledCost, ChargePeriodStart, ServiceName, ...)."""
    return sum(1 for name in names if column_key(name) in _FOCUS_KEYS)


def focus_missing(names: list[str]) -> list[str]:
    """The FOCUS columns this mapper cannot do without that the header lacks (FOCUS names)."""
    keys = {column_key(n) for n in names}
    return [focus for canon, focus in REQUIRED.items() if column_key(canon) not in keys]


class FocusMapper:
    """Maps batches of one FOCUS file; the column plan is made once from the file's header."""

    label = "focus"

    def __init__(self, names: list[str], file: str, *, provider_default: str = "") -> None:
        self.file = file
        self.provider_default = provider_default
        by_key = {column_key(n): n for n in names}
        missing = focus_missing(names)
        if missing:
            raise IngestError(f"is missing required FOCUS column(s): {', '.join(missing)}", file=file)
        self.plan: dict[str, str | None] = {}
        for canon in CANONICAL_SCHEMA.names:
            candidates = [column_key(c) for c in RENAMED.get(canon, (canon,))]
            self.plan[canon] = next((by_key[c] for c in candidates if c in by_key), None)

    @property
    def source_columns(self) -> dict[str, str]:
        """Canonical column -> the file's column it is read from."""
        return {canon: source for canon, source in self.plan.items() if source is not None}

    def map(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.Table:
        n = batch.num_rows
        out: dict[str, pa.Array] = {}
        for canon in CANONICAL_SCHEMA.names:
            source = self.plan[canon]
            values = batch.column(source) if source is not None else None
            column = source or canon
            if canon in TIMESTAMP_COLUMNS:
                required = canon in REQUIRED
                out[canon] = (
                    to_timestamp(values, ctx, column, required=required)
                    if values is not None
                    else pa.nulls(n, pa.timestamp("ms"))
                )
            elif canon in MONEY_COLUMNS or canon in QUANTITY_COLUMNS:
                out[canon] = (
                    to_decimal_text(values, ctx, column, money=canon in MONEY_COLUMNS, required=canon == "billed_cost")
                    if values is not None
                    else pa.nulls(n, pa.string())
                )
            elif canon in STRING_COLUMNS or canon == "tags":
                out[canon] = string_or_null(values, n) if canon != "tags" else _tags(values, n)
        if self.plan["provider_name"] is None and self.provider_default:
            out["provider_name"] = pa.array([self.provider_default] * n, pa.string())
        for canon in ("billing_account_id", "billing_currency", "charge_category", "billed_cost"):
            if out[canon].null_count:
                index = pc.index(pc.is_null(out[canon]), True).as_py()
                raise ctx.error("is empty but required", index=index, column=REQUIRED[canon])
        if out["provider_name"].null_count:
            out["provider_name"] = pc.fill_null(out["provider_name"], self.provider_default or "Unknown")
        return pa.Table.from_pydict(out, schema=CANONICAL_SCHEMA)


def _tags(values: pa.Array | None, n: int) -> pa.Array:
    """FOCUS Tags is JSON text; COPY into JSONB validates it (an error names the row)."""
    if values is None:
        return pa.nulls(n, pa.string())
    text = string_or_null(values, n)
    return pc.if_else(pc.equal(text, "{}"), pa.scalar(None, pa.string()), text)
