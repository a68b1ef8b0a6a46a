"""How the demo company's lines are written: CUR 2.0 (Parquet, MAP columns) or legacy CUR (CSV.gz), with manifests.

The generator builds lines with Athena-style names and one text column per tag; these
functions turn them into each format's real shape.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from costs.demo.catalog import PAYER, TAG_VALUES

TAG_COLUMNS = [f"tag_{key}" for key in TAG_VALUES] + ["tag_project", "tag_workload"]  # workload: optional
# In CUR 2.0 these product attributes are flat columns; the rest live in the `product` MAP.
CUR2_FLAT_PRODUCT = ("product_region_code", "product_servicecode", "product_sku", "product_product_family")
CUR2_MAP_PRODUCT = {
    "product_product_name": "product_name",
    "product_location": "location",
    "product_instance_type": "instance_type",
}
STRING_MAP = pa.map_(pa.string(), pa.string())


def _map_from_columns(table: pa.Table, columns: dict[str, str]) -> pa.Array:
    """Per-row MAP of the non-empty values of `columns` (column -> key)."""
    n = table.num_rows
    keys_per_row: list[list[str]] = [[] for _ in range(n)]
    items_per_row: list[list[str]] = [[] for _ in range(n)]
    for column, key in columns.items():
        for index, value in enumerate(table.column(column).to_pylist()):
            if value:
                keys_per_row[index].append(key)
                items_per_row[index].append(value)
    offsets = [0]
    for row in keys_per_row:
        offsets.append(offsets[-1] + len(row))
    keys = pa.array([k for row in keys_per_row for k in row], pa.string())
    items = pa.array([v for row in items_per_row for v in row], pa.string())
    return pa.MapArray.from_arrays(pa.array(offsets, pa.int32()), keys, items)


def to_cur2(table: pa.Table) -> pa.Table:
    """Athena-named lines -> CUR 2.0 columns (`product` and `resource_tags` MAPs)."""
    product = _map_from_columns(table, CUR2_MAP_PRODUCT)
    tags = _map_from_columns(table, {c: "user_" + c[len("tag_") :] for c in TAG_COLUMNS if c in table.column_names})
    keep = [
        c
        for c in table.column_names
        if not c.startswith("tag_") and (not c.startswith("product_") or c in CUR2_FLAT_PRODUCT)
    ]
    out = table.select(keep)
    out = out.append_column(pa.field("product", STRING_MAP), product)
    return out.append_column(pa.field("resource_tags", STRING_MAP), tags)


_ACRONYMS = {"a_r_n": "ARN"}


def legacy_header(name: str) -> str:
    """`line_item_unblended_cost` -> `lineItem/UnblendedCost` (the legacy CUR CSV header)."""
    if name.startswith("tag_"):
        return f"resourceTags/user:{name[len('tag_') :]}"
    for prefix, category in (
        ("line_item_", "lineItem"),
        ("savings_plan_", "savingsPlan"),
        ("reservation_", "reservation"),
        ("identity_", "identity"),
        ("pricing_", "pricing"),
        ("product_", "product"),
        ("bill_", "bill"),
    ):
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            if category == "product":
                # Legacy product attributes are camelCase after the first word (product/ProductName, product/region).
                words = rest.split("_")
                if rest == "product_name":
                    return "product/ProductName"
                return "product/" + words[0] + "".join(w.title() for w in words[1:])
            rest = re.sub(r"a_r_n$", "ARN", rest)
            return f"{category}/" + "".join(w[:1].upper() + w[1:] for w in rest.split("_"))
    return name


def legacy_columns(names: list[str], month_index: int) -> list[str]:
    """Schema drift, as legacy CUR does it: tag keys and attributes come and go by month."""
    keep = []
    for name in names:
        if name == "tag_project" and month_index == 0:
            continue  # the `project` tag was activated in the second month
        if name == "product_instance_type" and month_index % 3 == 2:
            continue  # an attribute that no line used that month disappears
        keep.append(name)
    return keep


def to_legacy(table: pa.Table, month_index: int) -> pa.Table:
    out = table.select(legacy_columns(table.column_names, month_index))
    return out.rename_columns([legacy_header(n) for n in out.column_names])


def blank_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


class ReportWriter:
    """Appends tables to one report file: Parquet (CUR 2.0) or gzip CSV (legacy CUR, with its header names)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.rows = 0
        self.names: list[str] = []
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pcsv.CSVWriter | None = None
        self._stream: Any = None
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if self.fmt == "cur_legacy":
            table = table.rename_columns([n if "/" in n else legacy_header(n) for n in table.column_names])
        if not self.names:
            self.names = table.column_names
            self._schema = table.schema
            if self.fmt == "cur2":
                self._parquet = pq.ParquetWriter(self.path, table.schema, compression="snappy")
            else:
                self._stream = pa.CompressedOutputStream(str(self.path), "gzip")
                self._csv = pcsv.CSVWriter(self._stream, table.schema)
        table = table.select(self.names).cast(self._schema)
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=1 << 17)
        elif self._csv is not None:
            self._csv.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._stream is not None:
            self._stream.close()


def manifest_write(
    folder: Path, fmt: str, path: Path, period: datetime.date, period_end: datetime.date, seed: int
) -> Path:
    """The delivery's manifest, shaped like AWS writes it for the format; its path."""
    assembly = str(uuid.uuid5(uuid.NAMESPACE_URL, f"northwind/{fmt}/{period:%Y-%m}/{seed}"))
    if fmt == "cur2":
        manifest = {
            "executionId": assembly,
            "reportName": "northwind",
            "billingPeriod": {
                "start": f"{period:%Y-%m-%d}T00:00:00.000Z",
                "end": f"{period_end:%Y-%m-%d}T00:00:00.000Z",
            },
            "dataFiles": [f"s3://northwind-billing/cur2/northwind/data/BILLING_PERIOD={period:%Y-%m}/{path.name}"],
        }
        target = folder / "northwind-Manifest.json"
    else:
        manifest = {
            "assemblyId": assembly,
            "account": PAYER[0],
            "reportName": "northwind-cur",
            "bucket": "northwind-billing",
            "compression": "GZIP",
            "contentType": "text/csv",
            "billingPeriod": {"start": f"{period:%Y%m%d}T000000.000Z", "end": f"{period_end:%Y%m%d}T000000.000Z"},
            "reportKeys": [f"cur/northwind-cur/{period:%Y%m%d}-{period_end:%Y%m%d}/{assembly}/{path.name}"],
        }
        target = folder / "northwind-cur-Manifest.json"
    target.write_text(json.dumps(manifest, indent=2))
    return target
