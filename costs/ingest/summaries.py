"""The explorer's summary tables, built from the delivery's own batches in its transaction.

Three tables answer what the daily rollup cannot (`costs.models`): daily cost and quantity per
usage type (`DailyUsageCost`), daily cost per tag key and value (`DailyTagCost`) and monthly
cost per resource (`MonthlyResourceCost`). Grouping line items by tags and resources in SQL
costs several times the rollup (measured: ~6x each over the same rows), so each mapped batch is
aggregated with Arrow in the ingest's mapping thread, overlapping the database's COPY, and the
batches' partial sums are merged there too (`PartialSums`). What cannot be kept in memory goes
into temporary tables (in bounded chunks) and one SQL pass per table turns them into the final
rows when the delivery is complete, just before it commits: a period's summaries are replaced
together with its line items, all or nothing.

Money is exact: line amounts are rounded to the line items' NUMERIC scale exactly as PostgreSQL
rounds the same text (half away from zero) and summed as decimal128. A basis that any line of a
group lacks makes the group's figure NULL ("not in this export"), never a partial sum.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from costs.vocabulary import BASES

SUM_MONEY = pa.decimal128(38, 12)  # the line items' NUMERIC(28,12), with room for sums
SUM_QUANTITY = pa.decimal128(38, 15)
_WIDE_MONEY = pa.decimal128(38, 18)  # parse with extra digits, then round like PostgreSQL
_WIDE_QUANTITY = pa.decimal128(38, 20)
# Partial rows kept in memory per table before they go to the database. Resources rarely
# aggregate within a file, so this bounds the resource summary's share of ingest memory
# (200,000 took a valid 64 MiB CSV to 614 MB peak RSS; 50,000 to 383 MB: make bench).
FLUSH_ROWS = 50_000
# Merged partials are kept while they fill at most this much of FLUSH_ROWS: a month's distinct
# resources (~30,000 in the bench's bill, every batch repeating them) then merge in memory and go
# to the database once, instead of ~20 times (2.7 s of COPY and 2.3 s more of final GROUP BY
# on a 949,009-line month when they were sent whenever merging left more than half).
KEEP_FRACTION = 0.75

USAGE_KEYS = (
    "day",
    "billing_period",
    "billing_account_id",
    "sub_account_id",
    "provider_name",
    "service_category",
    "service_name",
    "region",
    "charge_category",
    "currency",
    "usage_type",
    "pricing_unit",
)
TAG_KEYS = (
    "day",
    "billing_period",
    "billing_account_id",
    "sub_account_id",
    "provider_name",
    "service_category",
    "service_name",
    "charge_category",
    "currency",
    "tag_key",
    "tag_value",
)
RESOURCE_KEYS = (
    "month",
    "billing_period",
    "billing_account_id",
    "sub_account_id",
    "provider_name",
    "service_category",
    "service_name",
    "region",
    "charge_category",
    "line_item_type",
    "currency",
    "usage_type",
    "pricing_unit",
    "resource_id",
    "tags",
)


@dataclass(frozen=True)
class SummaryTable:
    name: str  # the model's table
    keys: tuple[str, ...]
    quantity: bool
    days: bool  # first_day / last_day columns

    @property
    def temp(self) -> str:
        return f"summary_partial_{self.name.removeprefix('costs_')}"


USAGE = SummaryTable("costs_dailyusagecost", USAGE_KEYS, quantity=True, days=False)
TAGS = SummaryTable("costs_dailytagcost", TAG_KEYS, quantity=False, days=False)
RESOURCES = SummaryTable("costs_monthlyresourcecost", RESOURCE_KEYS, quantity=True, days=True)
TABLES = (USAGE, TAGS, RESOURCES)


def _text(table: pa.Table, name: str) -> pa.Array:
    """A string column with NULL as '' (the summaries' "none")."""
    return pc.fill_null(table.column(name), "")


def _rounded(values: Any, wide: pa.DataType, scale: int, target: pa.DataType) -> pa.Array:
    """Decimal text -> decimal rounded half away from zero at `scale`, as NUMERIC input does."""
    parsed = pc.cast(values, wide, safe=False)
    return pc.cast(pc.round(parsed, ndigits=scale, round_mode="half_towards_infinity"), target)


def _day(table: pa.Table) -> pa.Array:
    return pc.cast(pc.floor_temporal(table.column("charge_period_start"), unit="day"), pa.date32())


def _base_columns(table: pa.Table) -> dict[str, Any]:
    """Every key and measure any summary needs, from one canonical batch."""
    day = _day(table)
    usage_type = pc.if_else(
        pc.fill_null(pc.not_equal(table.column("x_usage_type"), ""), False),
        table.column("x_usage_type"),
        _text(table, "sku_id"),
    )
    columns: dict[str, Any] = {
        "day": day,
        "month": pc.cast(pc.floor_temporal(table.column("charge_period_start"), unit="month"), pa.date32()),
        "billing_period": pc.cast(pc.floor_temporal(table.column("billing_period_start"), unit="month"), pa.date32()),
        "billing_account_id": table.column("billing_account_id"),
        "sub_account_id": _text(table, "sub_account_id"),
        "provider_name": _text(table, "provider_name"),
        "service_category": _text(table, "service_category"),
        "service_name": _text(table, "service_name"),
        "region": _text(table, "region_id"),
        "charge_category": table.column("charge_category"),
        "line_item_type": _text(table, "x_line_item_type"),
        "currency": table.column("billing_currency"),
        "usage_type": usage_type,
        "pricing_unit": _text(table, "pricing_unit"),
        "resource_id": _text(table, "resource_id"),
        "tags": table.column("tags"),
        "pricing_quantity": _rounded(table.column("pricing_quantity"), _WIDE_QUANTITY, 15, SUM_QUANTITY),
    }
    for basis in BASES:
        columns[basis] = _rounded(table.column(basis), _WIDE_MONEY, 12, SUM_MONEY)
    return columns


def _first_aggregation(base: pa.Table, spec: SummaryTable) -> pa.Table:
    aggregations: list[tuple[str, str] | tuple[str, str, pc.FunctionOptions]] = []
    for basis in BASES:
        aggregations.append((basis, "sum"))
        aggregations.append((basis, "count", pc.CountOptions(mode="only_null")))
    if spec.quantity:
        aggregations.append(("pricing_quantity", "sum"))
    aggregations.append(([], "count_all"))  # type: ignore[arg-type]
    if spec.days:
        aggregations += [("day", "min"), ("day", "max")]
    grouped = base.group_by(list(spec.keys), use_threads=False).aggregate(aggregations)
    renames = {f"{basis}_sum": basis for basis in BASES} | {f"{basis}_count": f"{basis}_missing" for basis in BASES}
    renames |= {"pricing_quantity_sum": "pricing_quantity", "count_all": "row_count"}
    renames |= {"day_min": "first_day", "day_max": "last_day"}
    return _ordered(grouped.rename_columns([renames.get(name, name) for name in grouped.column_names]), spec)


def _measure_names(spec: SummaryTable) -> list[str]:
    names = []
    for basis in BASES:
        names += [basis, f"{basis}_missing"]
    if spec.quantity:
        names.append("pricing_quantity")
    names.append("row_count")
    if spec.days:
        names += ["first_day", "last_day"]
    return names


def _ordered(table: pa.Table, spec: SummaryTable) -> pa.Table:
    return table.select([*spec.keys, *_measure_names(spec)])


def _compact(parts: list[pa.Table], spec: SummaryTable) -> pa.Table:
    """Partial aggregates of the same keys merged into one row each (sums of sums)."""
    return parts[0] if len(parts) == 1 else _merge(pa.concat_tables(parts), spec)


def _merge(table: pa.Table, spec: SummaryTable) -> pa.Table:
    aggregations: list[tuple[str, str]] = []
    for name in _measure_names(spec):
        function = {"first_day": "min", "last_day": "max"}.get(name, "sum")
        aggregations.append((name, function))
    grouped = table.group_by(list(spec.keys), use_threads=False).aggregate(aggregations)
    names = [
        name.rsplit("_", 1)[0] if name.endswith(("_sum", "_min", "_max")) else name for name in grouped.column_names
    ]
    return _ordered(grouped.rename_columns(names), spec)


def _tag_pairs(tag_sets: pa.Array, set_of_row: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(row index, key, value) for every tag of every row, given each row's index into `tag_sets`.

    Only the distinct tag sets are parsed (a few hundred per batch, not one per line).
    """
    offsets = [0]
    keys: list[str] = []
    values: list[str] = []
    for text in tag_sets.to_pylist():
        try:
            parsed = json.loads(text)
        except (TypeError, ValueError):
            parsed = None  # COPY rejects the line with an error naming it; nothing to summarize
        if isinstance(parsed, dict):
            for key, value in parsed.items():
                keys.append(str(key))
                values.append(_tag_text(value))
        offsets.append(len(keys))
    per_set = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(range(len(keys)), pa.int32()))
    per_row = pc.take(per_set, set_of_row)
    pair_index = pc.list_flatten(per_row)
    rows = pc.list_parent_indices(per_row)
    return rows, pc.take(pa.array(keys, pa.string()), pair_index), pc.take(pa.array(values, pa.string()), pair_index)


def _tag_text(value: Any) -> str:
    """A tag value as PostgreSQL's jsonb_each_text shows it ('' for JSON null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def batch_partials(table: pa.Table) -> dict[str, pa.Table]:
    """Partial aggregates of one canonical batch for each summary table (pure; any thread)."""
    columns = _base_columns(table)
    measures = [*BASES, "pricing_quantity"]
    usage = pa.table({name: columns[name] for name in (*USAGE_KEYS, *measures)})
    resources = pa.table({name: columns[name] for name in (*RESOURCE_KEYS, *measures, "day")})
    return {
        USAGE.name: _first_aggregation(usage, USAGE),
        TAGS.name: _tag_aggregation(columns),
        RESOURCES.name: _first_aggregation(resources, RESOURCES),
    }


def _tag_aggregation(columns: dict[str, Any]) -> pa.Table:
    """Lines are first summed per tag set (an integer key), then each set is split into its tags."""
    encoded = pc.dictionary_encode(columns["tags"])
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    by_set = {name: columns[name] for name in TAG_KEYS[:-2]} | {"tag_set": encoded.indices}
    by_set |= {basis: columns[basis] for basis in BASES}
    sets = pa.table(by_set).filter(pc.is_valid(encoded.indices))
    aggregations: list[Any] = []
    for basis in BASES:
        aggregations += [(basis, "sum"), (basis, "count", pc.CountOptions(mode="only_null"))]
    aggregations.append(([], "count_all"))
    grouped = sets.group_by([*TAG_KEYS[:-2], "tag_set"], use_threads=False).aggregate(aggregations)
    renames = {f"{basis}_sum": basis for basis in BASES} | {f"{basis}_count": f"{basis}_missing" for basis in BASES}
    grouped = grouped.rename_columns(
        [renames.get(n, "row_count" if n == "count_all" else n) for n in grouped.column_names]
    )
    rows, keys, values = _tag_pairs(encoded.dictionary, grouped.column("tag_set"))
    exploded = {name: pc.take(grouped.column(name), rows) for name in TAG_KEYS[:-2]}
    exploded |= {"tag_key": keys, "tag_value": values}
    exploded |= {name: pc.take(grouped.column(name), rows) for name in _measure_names(TAGS)}
    return _merge(pa.table(exploded), TAGS)


@dataclass
class PartialSums:
    """The batches' partial aggregates, merged in memory up to FLUSH_ROWS rows per table.

    `add` returns what must go to the database now (merged partials too many to keep); `rest`,
    once every batch is in, returns the remainder. Used by one thread at a time.
    """

    pending: dict[str, list[pa.Table]] = field(default_factory=lambda: {spec.name: [] for spec in TABLES})
    pending_rows: dict[str, int] = field(default_factory=lambda: {spec.name: 0 for spec in TABLES})

    def add(self, partials: dict[str, pa.Table]) -> dict[str, pa.Table]:
        ready: dict[str, pa.Table] = {}
        for spec in TABLES:
            part = partials[spec.name]
            self.pending[spec.name].append(part)
            self.pending_rows[spec.name] += part.num_rows
            if self.pending_rows[spec.name] > FLUSH_ROWS:
                compacted = _compact(self.pending[spec.name], spec)
                if compacted.num_rows > FLUSH_ROWS * KEEP_FRACTION:
                    ready[spec.name] = compacted
                    self.pending[spec.name], self.pending_rows[spec.name] = [], 0
                else:
                    self.pending[spec.name], self.pending_rows[spec.name] = [compacted], compacted.num_rows
        return ready

    def merge(self) -> None:
        """Merge what is pending into one row per key, table by table."""
        for spec in TABLES:
            if len(self.pending[spec.name]) > 1:
                self.pending[spec.name] = [_compact(self.pending[spec.name], spec)]

    def rest(self) -> dict[str, pa.Table]:
        """What is left, each table merged into one row per key."""
        self.merge()
        rest = {spec.name: parts[0] for spec in TABLES if (parts := self.pending[spec.name])}
        self.pending = {spec.name: [] for spec in TABLES}
        self.pending_rows = {spec.name: 0 for spec in TABLES}
        return rest


def with_partials(batches: Iterator[Any], sums: PartialSums) -> Iterator[Any]:
    """Add every mapped batch to `sums` as it passes and attach what must go to the database now
    as its `partials` (run inside the mapping thread; `sums.rest()` once it has ended)."""
    for mapped in batches:
        mapped.partials = sums.add(batch_partials(mapped.table))
        yield mapped
    sums.merge()  # here, while the database takes the last batch, not after it


_SQL_TYPES = {
    "day": "date",
    "month": "date",
    "billing_period": "date",
    "first_day": "date",
    "last_day": "date",
    "tags": "text",
    "pricing_quantity": "numeric",
    "row_count": "bigint",
}


def _sql_type(name: str) -> str:
    if name in _SQL_TYPES:
        return _SQL_TYPES[name]
    if name.endswith("_missing"):
        return "bigint"
    return "numeric" if name in BASES else "text"


@dataclass
class SummaryBuilder:
    """Takes merged partials to temporary tables and writes the summary tables of the delivery's periods.

    Used from the ingest's main thread (the one holding the transaction): `add` with what
    `PartialSums` hands over, `write` once every batch is in and the period's line items are final.
    """

    created: set[str] = field(default_factory=set)
    chunks: dict[str, int] = field(default_factory=dict)  # merged partials sent, per table

    def add(self, cursor: Any, partials: dict[str, pa.Table]) -> None:
        for spec in TABLES:
            table = partials.get(spec.name)
            if table is None or not table.num_rows:
                continue
            self._temp_ensure(cursor, spec)
            self.chunks[spec.name] = self.chunks.get(spec.name, 0) + 1
            with cursor.copy(f"COPY {spec.temp} ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv)") as copy:
                for chunk in _csv_chunks(table):
                    copy.write(chunk)

    def _temp_ensure(self, cursor: Any, spec: SummaryTable) -> None:
        if spec.name not in self.created:
            columns = ", ".join(f"{name} {_sql_type(name)}" for name in (*spec.keys, *_measure_names(spec)))
            cursor.execute(f"CREATE TEMPORARY TABLE {spec.temp} ({columns})")
            self.created.add(spec.name)

    def usage_partials(self, cursor: Any) -> str | None:
        """The temporary table of the usage summary's partial sums, once every batch is in (the rollups'
        source: `costs.ingest.rollups`); valid until `write`."""
        self._temp_ensure(cursor, USAGE)
        return USAGE.temp

    def write(self, cursor: Any, *, source_id: int, periods: list[datetime.date]) -> None:
        """Replace the summaries of `periods` with what the batches added up to."""
        for spec in TABLES:
            self._temp_ensure(cursor, spec)
            cursor.execute(
                f"DELETE FROM {spec.name} WHERE source_id = %s AND billing_period = ANY(%s)", [source_id, periods]
            )
            # One merged chunk has one row per key already, unless a key is JSON text (resources' tags:
            # texts that differ may be the same JSON, which the GROUP BY on ::jsonb merges).
            grouped = self.chunks.get(spec.name, 0) > 1 or "tags" in spec.keys
            cursor.execute(_final_sql(spec, grouped=grouped), [source_id])
            # Dropped here, not on commit: a caller's transaction may hold several deliveries.
            cursor.execute(f"DROP TABLE {spec.temp}")
        self.created.clear()
        self.chunks.clear()


def _csv_chunks(table: pa.Table) -> Iterator[bytes]:
    options = pcsv.WriteOptions(include_header=False, quoting_style="needed", batch_size=16_384)
    for batch in table.to_batches(max_chunksize=50_000):
        sink = pa.BufferOutputStream()
        pcsv.write_csv(pa.Table.from_batches([batch]), sink, options)
        yield sink.getvalue().to_pybytes()


def _final_sql(spec: SummaryTable, *, grouped: bool = True) -> str:
    """The summary's rows from the temporary table of merged partials; `grouped=False` when it holds
    one row per key (no GROUP BY: it hashed a month's 81,964 tag rows in ~0.3 s)."""
    keys = list(spec.keys)
    selected = [("(tags)::jsonb" if key == "tags" else key) for key in keys]

    def total(column: str) -> str:
        return f"SUM({column})" if grouped else column

    measures = [f"CASE WHEN {total(f'{basis}_missing')} = 0 THEN {total(basis)} END" for basis in BASES]
    columns = [*keys, *BASES]
    if spec.quantity:
        measures.append(total("pricing_quantity"))
        columns.append("pricing_quantity")
    measures.append(total("row_count"))
    columns.append("row_count")
    if spec.days:
        measures += ["MIN(first_day)", "MAX(last_day)"] if grouped else ["first_day", "last_day"]
        columns += ["first_day", "last_day"]
    group_by = f" GROUP BY {', '.join(selected)}" if grouped else ""
    return (
        f"INSERT INTO {spec.name} (source_id, {', '.join(columns)}) "
        f"SELECT %s, {', '.join(selected)}, {', '.join(measures)} FROM {spec.temp}{group_by}"
    )
