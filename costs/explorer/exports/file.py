"""Writing FOCUS 1.2 files batch by batch: Parquet through pyarrow, CSV with FOCUS's value formats.

Types follow the spec: money and quantities are decimals (never floats), Date/Time columns are
UTC, Tags is a JSON object as text, and a column or basis the bill does not carry is null
(never 0). CSV writes Date/Time as ISO 8601 `YYYY-MM-DDTHH:MM:SSZ` and decimals in plain
notation (pyarrow would write small amounts as `8.0E-7`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from costs.selectors import FOCUS_COLUMNS

MONEY = pa.decimal128(28, 12)  # costs.models.money_field
QUANTITY = pa.decimal128(32, 15)  # costs.models.quantity_field
TIMESTAMP = pa.timestamp("us", tz="UTC")

_MONEY_COLUMNS = {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "x_UnblendedCost", "x_NetUnblendedCost"}
_MONEY_COLUMNS |= {"PricingCurrencyEffectiveCost"}
_QUANTITY_COLUMNS = {
    "CommitmentDiscountQuantity",
    "ConsumedQuantity",
    "ContractedUnitPrice",
    "ListUnitPrice",
    "PricingQuantity",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyListUnitPrice",
}
_TIMESTAMP_COLUMNS = {"BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"}


def _type(name: str) -> pa.DataType:
    if name in _MONEY_COLUMNS:
        return MONEY
    if name in _QUANTITY_COLUMNS:
        return QUANTITY
    if name in _TIMESTAMP_COLUMNS:
        return TIMESTAMP
    return pa.string()


SCHEMA = pa.schema([pa.field(name, _type(name)) for name in FOCUS_COLUMNS])
DECIMAL_COLUMNS = frozenset(_MONEY_COLUMNS | _QUANTITY_COLUMNS)


def focus_table(batch: dict[str, list[Any]], rows: int) -> pa.Table:
    """One batch of line items (costs.selectors.focus_line_batches) as a table of every FOCUS column."""
    arrays = []
    for field in SCHEMA:
        values = batch.get(field.name)
        arrays.append(pa.nulls(rows, field.type) if values is None else pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def _csv_table(table: pa.Table) -> pa.Table:
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if field.name in DECIMAL_COLUMNS:
            column = pa.array([_plain(v) for v in column.to_pylist()], pa.string())
        elif field.name in _TIMESTAMP_COLUMNS:
            # FOCUS's Date/Time format has whole seconds (strftime would print microseconds).
            seconds = column.cast(pa.timestamp("s", tz="UTC"), safe=False)
            column = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.schema.names)


class FocusWriter(Protocol):
    def write(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...


class CsvFocusWriter:
    def __init__(self, path: Path, *, gzip: bool = False) -> None:
        schema = pa.schema([pa.field(f.name, pa.string()) for f in SCHEMA])
        self._sink = pa.CompressedOutputStream(str(path), "gzip") if gzip else pa.OSFile(str(path), "wb")
        self._writer = pa_csv.CSVWriter(self._sink, schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(_csv_table(table))

    def close(self) -> None:
        self._writer.close()
        self._sink.close()


class ParquetFocusWriter:
    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def focus_writer(path: Path, format: str) -> FocusWriter:
    """A writer of one FOCUS file at `path` in `format` (csv, csv.gz or parquet); close it to complete the file."""
    if format == "parquet":
        return ParquetFocusWriter(path)
    return CsvFocusWriter(path, gzip=format == "csv.gz")
