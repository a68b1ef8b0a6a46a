"""The FOCUS CSV export defuses formulas in free text from the bill (issue 14 item 4); numbers keep their sign."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costs.explorer.exports.file import TEXT_SCHEMA, focus_text_table, focus_writer


def batch() -> pa.Table:
    return focus_text_table(
        pa.table(
            {
                "ResourceName": ['=HYPERLINK("http://evil","x")', "+cmd", "web-1", None],
                "Tags": ['{"team": "@ops"}', '{"team": "web"}', "{}", None],
                "SubAccountName": ["-prod", "@admin", "plain", "a=b"],
                "BilledCost": ["-1.500000000000", "2.250000000000", "0", None],
                "ChargePeriodStart": ["2025-03-01T00:00:00Z"] * 4,
            }
        )
    )


@pytest.mark.parametrize("format", ["csv", "csv.gz"])
def test_free_text_that_starts_like_a_formula_is_written_as_text(tmp_path: Path, format: str) -> None:
    path = tmp_path / f"export.{format}"
    writer = focus_writer(path, format)
    writer.write(batch())
    writer.close()
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if format == "csv.gz" else raw).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["ResourceName"] for r in rows] == ['\'=HYPERLINK("http://evil","x")', "'+cmd", "web-1", ""]
    assert [r["SubAccountName"] for r in rows] == ["'-prod", "'@admin", "plain", "a=b"]
    assert rows[0]["Tags"] == '{"team": "@ops"}'  # starts with '{': nothing to defuse
    assert [r["BilledCost"] for r in rows] == ["-1.500000000000", "2.250000000000", "0", ""]  # a sign, not a formula
    assert rows[0]["ChargePeriodStart"] == "2025-03-01T00:00:00Z"


def test_parquet_keeps_the_bill_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    writer = focus_writer(path, "parquet")
    writer.write(batch())
    writer.close()
    table = pq.read_table(path)
    assert table.column("ResourceName").to_pylist()[0] == '=HYPERLINK("http://evil","x")'
    assert len(TEXT_SCHEMA) == table.num_columns
