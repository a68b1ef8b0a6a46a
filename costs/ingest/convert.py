"""Vectorized conversions shared by the mappers: text to timestamps and checked decimal text.

Each conversion runs over a whole batch with Arrow compute; only when a batch fails does a
slow path look for the first bad row, so the error can name it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from costs.ingest.columns import MONEY, MONEY_LIMIT, QUANTITY_LIMIT, TIMESTAMP
from costs.ingest.errors import IngestError
from costs.ingest.observations import WARNINGS_KEPT, Observations

_UTC_SUFFIX = r"(Z|[+-]00:?00)$"
# What tools write for "no value" in a numeric column (Python's None, pandas' NaN, spreadsheets'
# N/A and -), compared trimmed and lower-cased. "" and NULL are already empty when read.
NULL_TOKENS = ("none", "null", "nan", "n/a", "na", "-")
_NULL_TOKEN_SET = pa.array(NULL_TOKENS, pa.string())
# One line item of a billion or more (in any currency) is far beyond real bills: kept, but flagged.
PLAUSIBLE_LIMIT = 10**9
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


class BatchContext:
    """Where a batch sits in its file, so errors can say `file, row N, column C`; notes go to `observations`."""

    def __init__(
        self,
        file: str,
        first_row: int,
        observations: Observations | None = None,
        columns: dict[str, str] | None = None,
    ) -> None:
        self.file = file
        self.first_row = first_row  # 1-based number of the batch's first data row
        self.observations = observations if observations is not None else Observations()
        # Canonical column -> the file's own name for it, so errors found after mapping (a
        # currency conflict, a value the database refuses) name the column the user can find.
        self.columns = columns or {}

    def error(self, message: str, *, index: int | None = None, column: str = "") -> IngestError:
        row = None if index is None else self.first_row + index
        return IngestError(message, file=self.file, row=row, column=self.columns.get(column, column))

    def warn(self, message: str, *, index: int, column: str, value: str) -> None:
        self.observations.warn(file=self.file, row=self.first_row + index, column=column, value=value, message=message)


def first_failing(values: pa.Array, check: Callable[[Any], bool]) -> tuple[int, Any]:
    """Slow path: index and value of the first element for which `check` is False."""
    for index, value in enumerate(values.to_pylist()):
        if value is not None and not check(value):
            return index, value
    return -1, None


def _one_timestamp(value: Any) -> bool:
    try:
        pc.cast(pc.replace_substring_regex(pa.array([str(value)]), _UTC_SUFFIX, ""), TIMESTAMP)
        return True
    except pa.ArrowInvalid:
        try:
            pc.cast(pa.array([str(value)]), pa.timestamp("ms", tz="UTC"))
            return True
        except pa.ArrowInvalid:
            return False


def to_timestamp(values: pa.Array, ctx: BatchContext, column: str, *, required: bool = False) -> pa.Array:
    """Any date/time representation seen in bills -> naive UTC timestamp[ms]."""
    if pa.types.is_timestamp(values.type):
        if values.type.tz is not None:
            values = pc.cast(values, pa.timestamp("ms", tz="UTC")).cast(pa.int64()).cast(TIMESTAMP)
        else:
            values = pc.cast(values, TIMESTAMP)
    elif pa.types.is_date(values.type):
        values = pc.cast(pc.cast(values, pa.date32()), TIMESTAMP)
    elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = _text_to_timestamp(values, ctx, column)
    elif pa.types.is_null(values.type):
        values = pa.nulls(len(values), TIMESTAMP)
    else:
        raise ctx.error(f"holds {values.type}, not dates", column=column)
    if required and values.null_count:
        index = pc.index(pc.is_null(values), True).as_py()
        raise ctx.error("is empty but required", index=index, column=column)
    years = pc.year(values)
    bad = pc.or_(pc.less(years, EARLIEST_YEAR), pc.greater(years, LATEST_YEAR))
    if pc.any(bad).as_py():
        index = pc.index(bad, True).as_py()
        raise ctx.error(f"has an out-of-range date {values[index].as_py()}", index=index, column=column)
    return values


def _text_to_timestamp(values: pa.Array, ctx: BatchContext, column: str) -> pa.Array:
    try:
        return pc.cast(pc.replace_substring_regex(values, _UTC_SUFFIX, ""), TIMESTAMP)
    except pa.ArrowInvalid:
        pass
    try:  # explicit non-UTC offsets
        return pc.cast(values, pa.timestamp("ms", tz="UTC")).cast(pa.int64()).cast(TIMESTAMP)
    except pa.ArrowInvalid:
        index, value = first_failing(values, _one_timestamp)
        raise ctx.error(f"has an invalid date {value!r}", index=max(index, 0), column=column) from None


def _is_number(value: Any) -> bool:
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def to_decimal_text(
    values: pa.Array, ctx: BatchContext, column: str, *, money: bool = True, required: bool = False
) -> pa.Array:
    """Validated decimal text for COPY into NUMERIC: numeric, finite and within the column's range.

    Floats from Parquet become their shortest round-trip text (what the writer meant), never
    a binary expansion. The range check uses float only for magnitude, never for the value.
    Null tokens (`None`, `NaN`, `N/A`, `-`, ...) are empty in an optional column (counted in
    the job's notes) and an error naming row and column in a `required` one. An amount past
    PLAUSIBLE_LIMIT is kept exactly, with a warning on the job.
    """
    limit = MONEY_LIMIT if money else QUANTITY_LIMIT
    kind = values.type
    if pa.types.is_null(kind):
        return pa.nulls(len(values), pa.string())
    if (
        pa.types.is_decimal(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
    ):
        text = pc.cast(values, pa.string())
    else:
        raise ctx.error(f"holds {kind}, not numbers", column=column)
    magnitude = _magnitude(text)
    if magnitude is None or not _all_below(magnitude, limit):
        # The slow path, only for batches with something odd in them: null tokens out first.
        text = _null_tokens_out(text, ctx, column, required=required)
        magnitude = _magnitude(text)
        if magnitude is None:
            index, value = first_failing(text, _is_number)
            raise ctx.error(f"has a non-numeric value {value!r}", index=max(index, 0), column=column)
    # NaN compares false, so it lands here as well as infinities and huge values.
    in_range = pc.fill_null(pc.less(magnitude, float(limit)), True)
    if not pc.all(in_range).as_py():
        index = pc.index(in_range, False).as_py()
        value = text[index].as_py()
        reason = "a non-numeric value" if not _is_number(value) else "an out-of-range value"
        raise ctx.error(f"has {reason} {value!r}", index=index, column=column)
    if money:
        _implausible_warn(text, magnitude, ctx, column)
    return text


def _magnitude(text: pa.Array) -> pa.Array | None:
    try:
        return pc.abs(pc.cast(text, pa.float64()))
    except pa.ArrowInvalid:
        return None


def _all_below(magnitude: pa.Array, limit: int) -> bool:
    return bool(pc.all(pc.fill_null(pc.less(magnitude, float(limit)), True)).as_py())


def _null_tokens_out(text: pa.Array, ctx: BatchContext, column: str, *, required: bool) -> pa.Array:
    """Null tokens -> NULL (counted), or an error at the first one when the column is required."""
    is_token = pc.fill_null(pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(text)), value_set=_NULL_TOKEN_SET), False)
    if not pc.any(is_token).as_py():
        return text
    if required:
        index = pc.index(is_token, True).as_py()
        raise ctx.error(
            f"has {text[index].as_py()!r} where an amount is required (a cost column may not be empty)",
            index=index,
            column=column,
        )
    counts = pc.value_counts(pc.filter(text, is_token)).to_pylist()
    ctx.observations.null_tokens_seen(
        file=ctx.file, column=column, tokens=Counter({item["values"]: item["counts"] for item in counts})
    )
    return pc.if_else(is_token, pa.scalar(None, pa.string()), text)


def _implausible_warn(text: pa.Array, magnitude: pa.Array, ctx: BatchContext, column: str) -> None:
    big = pc.fill_null(pc.greater_equal(magnitude, float(PLAUSIBLE_LIMIT)), False)
    if not pc.any(big).as_py():
        return
    for index in pc.indices_nonzero(big).to_pylist()[:WARNINGS_KEPT]:
        ctx.warn(
            f"has an implausible amount for one line ({PLAUSIBLE_LIMIT:,} or more); it is kept exactly as given",
            index=index,
            column=column,
            value=str(text[index].as_py()),
        )


# 16 integer digits (MONEY_LIMIT) and 21 decimals: room to round from.
_WIDE = pa.decimal128(37, 21)
_HALF_UNIT = pa.scalar(Decimal("0.0000000000005"), pa.decimal128(13, 13))  # half of the 12th decimal
_WIDE_ZERO = pa.scalar(Decimal(0), _WIDE)
_UNIT = Decimal("1e-12")


def decimal_of(text: pa.Array) -> pa.Array:
    """Checked decimal text -> decimal128(30, 12) for exact arithmetic (amortization formulas).

    Rounded half away from zero at the 12th decimal, exactly as PostgreSQL rounds the text
    COPY gives it for NUMERIC(28, 12), so every cost basis of a line is rounded the same way.
    (A plain unsafe cast would truncate.) The nudge-then-truncate form is as fast as the cast;
    Arrow's own round() is several times slower.
    """
    try:
        wide = pc.cast(text, _WIDE)
    except pa.ArrowInvalid:  # more than 21 decimals: rare enough for the slow, exact path
        values = [None if v is None else Decimal(v).quantize(_UNIT, ROUND_HALF_UP) for v in text.to_pylist()]
        return pa.array(values, MONEY)
    nudged = pc.if_else(pc.greater_equal(wide, _WIDE_ZERO), pc.add(wide, _HALF_UNIT), pc.subtract(wide, _HALF_UNIT))
    return pc.cast(nudged, MONEY, safe=False)  # truncates toward zero: after the nudge, half away from zero


def text_of(values: pa.Array) -> pa.Array:
    return pc.cast(values, pa.string())


def string_or_null(values: pa.Array | None, length: int) -> pa.Array:
    """A string column where empty strings are NULL (Parquet CURs write '' for missing)."""
    if values is None:
        return pa.nulls(length, pa.string())
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def json_escape(values: pa.Array) -> pa.Array:
    """Escape text for a JSON string literal (backslash, quote, control characters)."""
    escaped = pc.replace_substring(values, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    escaped = pc.replace_substring(escaped, "\n", "\\n")
    escaped = pc.replace_substring(escaped, "\r", "\\r")
    return pc.replace_substring(escaped, "\t", "\\t")
