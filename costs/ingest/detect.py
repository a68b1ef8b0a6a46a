"""Which mapper reads a file: from the format asked for, or detected from its columns."""

from __future__ import annotations

from costs.ingest.columns import folded_duplicates
from costs.ingest.cur_tags import tag_key
from costs.ingest.errors import IngestError
from costs.ingest.mapping_cur import CurMapper, cur_likeness, cur_missing, looks_like_cur
from costs.ingest.mapping_focus import FocusMapper, focus_likeness, focus_missing, looks_like_focus
from costs.ingest.readers import FileReader

FORMATS = ("auto", "cur2", "cur_legacy", "focus")

Mapper = FocusMapper | CurMapper


def format_normalize(value: str) -> str:
    normalized = (value or "auto").strip().lower().replace("-", "_")
    if normalized not in FORMATS:
        raise IngestError(f"unknown format {value!r}; expected one of auto, cur2, cur-legacy, focus")
    return normalized


# A header with at least this many FOCUS (or CUR) columns is a near miss, not an unknown format.
NEAR_MISS_COLUMNS = 2


def mapper_for(reader: FileReader, *, format: str, provider_default: str) -> Mapper:
    """The mapper for this file: the format asked for, or the one its columns show (names matched ignoring case)."""
    fmt = format_normalize(format)
    _unique_columns_check(reader)
    if fmt == "auto":
        fmt = _detected(reader)
    if fmt == "focus":
        return FocusMapper(reader.names, reader.name, provider_default=provider_default)
    return CurMapper(reader.names, reader.name, schema=reader.schema)


def _detected(reader: FileReader) -> str:
    names = reader.names
    if looks_like_focus(names):
        return "focus"
    if looks_like_cur(names):
        return "cur"
    focus, cur = focus_likeness(names), cur_likeness(names)
    if max(focus, cur) >= NEAR_MISS_COLUMNS:
        label, missing = ("FOCUS", focus_missing(names)) if focus >= cur else ("an AWS CUR", cur_missing(names))
        if missing:
            columns = "column " + missing[0] + " is" if len(missing) == 1 else "columns " + ", ".join(missing) + " are"
            raise IngestError(f"looks like {label}; the mandatory {columns} missing", file=reader.name)
    raise IngestError(
        "is in an unknown format: neither FOCUS (BilledCost, ChargePeriodStart, ...) "
        "nor AWS CUR (lineItem/UnblendedCost or line_item_unblended_cost, ...) columns",
        file=reader.name,
    )


def _unique_columns_check(reader: FileReader) -> None:
    """Columns are matched ignoring case and separators, so two that differ only so are ambiguous.

    Legacy CUR tag columns are the exception: AWS tag keys are case-sensitive.
    """
    groups = folded_duplicates([name for name in reader.names if tag_key(name) is None])
    if groups:
        listed = "; ".join(", ".join(group) for group in groups)
        raise IngestError(
            f"has columns that differ only in case or punctuation ({listed}); each must be unique", file=reader.name
        )
