"""Which mapper reads a file: from the format asked for, or detected from its columns."""

from __future__ import annotations

from costs.ingest.errors import IngestError
from costs.ingest.mapping_cur import CurMapper, looks_like_cur
from costs.ingest.mapping_focus import FocusMapper, looks_like_focus
from costs.ingest.readers import FileReader

FORMATS = ("auto", "cur2", "cur_legacy", "focus")

Mapper = FocusMapper | CurMapper


def format_normalize(value: str) -> str:
    normalized = (value or "auto").strip().lower().replace("-", "_")
    if normalized not in FORMATS:
        raise IngestError(f"unknown format {value!r}; expected one of auto, cur2, cur-legacy, focus")
    return normalized


def mapper_for(reader: FileReader, *, format: str, provider_default: str) -> Mapper:
    fmt = format_normalize(format)
    if fmt == "auto":
        if looks_like_focus(reader.names):
            fmt = "focus"
        elif looks_like_cur(reader.names):
            fmt = "cur"
        else:
            raise IngestError(
                "is in an unknown format: neither FOCUS (BilledCost, ChargePeriodStart, ...) "
                "nor AWS CUR (lineItem/UnblendedCost or line_item_unblended_cost, ...) columns",
                file=reader.name,
            )
    if fmt == "focus":
        return FocusMapper(reader.names, reader.name, provider_default=provider_default)
    return CurMapper(reader.names, reader.name, schema=reader.schema)
