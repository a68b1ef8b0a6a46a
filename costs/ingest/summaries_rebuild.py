"""Rebuilding the explorer's summary tables from stored line items (data ingested before them, repairs).

The line items stream out with COPY and go through the same `batch_partials`, `PartialSums` and `SummaryBuilder`
as an ingest (`costs.ingest.summaries`), so a rebuilt period equals an ingested one.
"""

from __future__ import annotations

import datetime
import tempfile
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from costs.ingest.summaries import PartialSums, SummaryBuilder, batch_partials
from costs.vocabulary import BASES

# The line-item columns the summaries read, as `batch_partials` expects them.
_LINE_COLUMNS = (
    "charge_period_start",
    "billing_period_start",
    "billing_account_id",
    "sub_account_id",
    "provider_name",
    "service_category",
    "service_name",
    "region_id",
    "charge_category",
    "x_line_item_type",
    "billing_currency",
    "x_usage_type",
    "sku_id",
    "pricing_unit",
    "resource_id",
    "tags",
    "pricing_quantity",
    *BASES,
)
_TIMESTAMPS = ("charge_period_start", "billing_period_start")


def summaries_rebuild(cursor: Any, *, source_id: int, periods: list[datetime.date]) -> None:
    """Rebuild the summaries of `periods` from the stored line items (for data ingested before them).

    The line items stream out with COPY and go through the same `batch_partials` as an ingest.
    """
    selected = ", ".join(
        f"({name} AT TIME ZONE 'UTC') AS {name}" if name in _TIMESTAMPS else f"{name}::text" for name in _LINE_COLUMNS
    )
    period_list = ", ".join(f"'{period.isoformat()}'::date" for period in periods) or "NULL::date"
    query = (
        f"COPY (SELECT {selected} FROM costs_costlineitem WHERE source_id = {int(source_id)} "
        f"AND billing_period IN ({period_list})) TO STDOUT (FORMAT csv)"
    )
    builder = SummaryBuilder()
    sums = PartialSums()
    types = {name: (pa.timestamp("ms") if name in _TIMESTAMPS else pa.string()) for name in _LINE_COLUMNS}
    with tempfile.TemporaryFile() as spool:
        with cursor.copy(query) as copy:
            for chunk in copy:
                spool.write(chunk)
        if spool.tell():
            spool.seek(0)
            reader = pcsv.open_csv(
                spool,
                read_options=pcsv.ReadOptions(column_names=list(_LINE_COLUMNS), block_size=32 << 20),
                convert_options=pcsv.ConvertOptions(
                    column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False
                ),
            )
            for batch in reader:
                builder.add(cursor, sums.add(batch_partials(pa.Table.from_batches([batch]))))
    builder.add(cursor, sums.rest())
    builder.write(cursor, source_id=source_id, periods=periods)


def summaries_rebuild_all(cursor: Any) -> int:
    """Rebuild every stored period's summaries in the current schema; returns the periods rebuilt."""
    cursor.execute("SELECT DISTINCT source_id, billing_period FROM costs_costlineitem ORDER BY 1, 2")
    by_source: dict[int, list[datetime.date]] = {}
    for source_id, period in cursor.fetchall():
        by_source.setdefault(source_id, []).append(period)
    for source_id, periods in by_source.items():
        for period in periods:  # one period at a time keeps the spool and the temp tables small
            summaries_rebuild(cursor, source_id=source_id, periods=[period])
    return sum(len(periods) for periods in by_source.values())
