"""Memory is bounded for any file: header, line and field caps for text; footer checks and
byte-bounded batches for Parquet (issue 16, items 1 and 2). Every hostile file is made here,
small on disk; `make bench` measures the memory the big ones take."""

from __future__ import annotations

import io
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costs.hostile_files import gzip_long_line_bomb, parquet_dictionary_bomb
from costs.ingest import parquet_bounds
from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.ingest.errors import IngestError
from costs.ingest.readers import file_open
from costs.models import CostLineItem, CostSource
from costs.tests.test_ingest_support import FOCUS_SMALL, enter

HEADER, *ROWS = FOCUS_SMALL.read_text().splitlines()


def memory_file(name: str, data: bytes) -> DeliveryFile:
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def read_all(name: str, data: bytes) -> list[pa.RecordBatch]:
    reader = file_open(name, memory_file(name, data).open)
    return list(reader.batches)


def with_resource_id(row: str, value: str) -> str:
    cells = row.split(",")
    cells[HEADER.split(",").index("ResourceId")] = value
    return ",".join(cells)


def test_a_gzip_whose_first_line_never_ends_is_refused_at_one_mebibyte():
    out = io.BytesIO()
    gzip_long_line_bomb(out, expanded_bytes=64 << 20)
    assert len(out.getvalue()) < 200_000  # small on disk
    with pytest.raises(IngestError) as caught:
        file_open("x.csv.gz", memory_file("x.csv.gz", out.getvalue()).open)
    assert str(caught.value) == "x.csv.gz: the first line is longer than 1 MiB; this is not a cost report"


def test_a_header_with_a_quoted_line_break_is_still_one_line():
    data = b'BilledCost,"Charge\nPeriodStart",x\n1,2,3\n'
    reader = file_open("q.csv", memory_file("q.csv", data).open)
    assert reader.names == ["BilledCost", "Charge\nPeriodStart", "x"]


def test_a_data_line_past_the_line_limit_names_its_row():
    long_row = with_resource_id(ROWS[1], "i-" + "9" * (5 << 20))
    data = "\n".join([HEADER, ROWS[0], ROWS[2], long_row, ROWS[3]]).encode() + b"\n"
    with pytest.raises(IngestError) as caught:
        read_all("long.csv", data)
    assert caught.value.file == "long.csv"
    assert "row 3 is longer than 2 MiB" in str(caught.value)


def test_a_csv_value_past_the_field_limit_names_row_and_column():
    data = "\n".join([HEADER, ROWS[0], with_resource_id(ROWS[2], "i-" + "7" * (100 << 10))]).encode() + b"\n"
    with pytest.raises(IngestError) as caught:
        read_all("wide.csv", data)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("wide.csv", 2, "ResourceId")
    assert "longer than the 64 KiB" in str(caught.value)


def test_invalid_utf8_names_the_row_as_well_as_the_column():
    rows = [ROWS[0], ROWS[2], with_resource_id(ROWS[1], "bucket-\udcff")]
    data = "\n".join([HEADER, *rows]).encode("utf-8", "surrogateescape") + b"\n"
    with pytest.raises(IngestError) as caught:
        read_all("latin.csv", data)
    assert (caught.value.row, caught.value.column) == (3, "ResourceId")
    assert "not UTF-8" in str(caught.value)


def parquet_bytes(table: pa.Table, **options) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def test_a_parquet_dictionary_bomb_fails_at_its_first_row_without_expanding():
    out = io.BytesIO()
    # 1 MiB over 200,000 rows: 200 GB if read as plain text; the file had 2 million rows.
    parquet_dictionary_bomb(out, rows=200_000, value_bytes=1 << 20)
    assert len(out.getvalue()) < 100_000
    with pytest.raises(IngestError) as caught:
        read_all("bomb.parquet", out.getvalue())
    assert (caught.value.file, caught.value.row, caught.value.column) == ("bomb.parquet", 1, "ResourceId")
    assert "has a value of 1 MiB, longer than the 64 KiB" in str(caught.value)


def test_parquet_batches_are_bounded_by_bytes_not_only_rows(monkeypatch):
    monkeypatch.setattr(parquet_bounds, "BATCH_BYTES", 1 << 20)
    out = io.BytesIO()
    parquet_dictionary_bomb(out, rows=20_000, value_bytes=2000)  # 40 MB of text, 20,000 rows
    batches = read_all("wide.parquet", out.getvalue())
    assert sum(b.num_rows for b in batches) == 20_000
    assert len(batches) >= 38
    assert max(b.column("ResourceId").nbytes for b in batches) <= (1 << 20) + 4 * 600
    assert batches[0].schema.field("ResourceId").type == pa.string()  # decoded for the mappers


def test_map_columns_of_dictionary_text_are_bounded_too(monkeypatch):
    monkeypatch.setattr(parquet_bounds, "BATCH_BYTES", 1 << 16)
    rows = 3000
    tags = pa.array([[("team", "t" * 100), ("env", "prod")]] * rows, pa.map_(pa.string(), pa.string()))
    batches = read_all("maps.parquet", parquet_bytes(pa.table({"resource_tags": tags, "n": list(range(rows))})))
    assert [row for b in batches for row in b.column("n").to_pylist()] == list(range(rows))
    assert len(batches) >= 4
    assert batches[0].column("resource_tags").type == pa.map_(pa.string(), pa.string())
    assert batches[1].column("resource_tags")[0].as_py() == [("team", "t" * 100), ("env", "prod")]


def test_a_huge_value_inside_a_map_names_its_row():
    tags = pa.array(
        [[("team", "web")], [("team", "web")], [("blob", "b" * (70 << 10))]], pa.map_(pa.string(), pa.string())
    )
    with pytest.raises(IngestError) as caught:
        read_all("tags.parquet", parquet_bytes(pa.table({"resource_tags": tags})))
    assert (caught.value.row, caught.value.column) == (3, "resource_tags")


def test_text_that_expands_past_the_expansion_limit_is_refused(monkeypatch):
    monkeypatch.setattr(parquet_bounds, "EXPANSION_FLOOR", 10 << 20)
    out = io.BytesIO()
    parquet_dictionary_bomb(out, rows=200_000, value_bytes=60 << 10)  # under the field limit, 12 GB of text
    with pytest.raises(IngestError, match=r"bomb.parquet: expands to more than [\d.]+ MiB of text by row \d+"):
        read_all("bomb.parquet", out.getvalue())


@pytest.mark.parametrize(
    ("limit", "value", "needle"),
    [
        ("ROW_GROUP_LIMIT", 4096, "row group 1 of 2 holds"),
        ("COLUMN_CHUNK_LIMIT", 4096, "column ResourceId: row group 1 of 2 holds"),
        ("DICTIONARY_PAGE_LIMIT", 4096, "column ResourceId: row group 1 of 2 has a dictionary page of"),
    ],
)
def test_the_parquet_footer_is_checked_before_any_row_is_read(monkeypatch, limit, value, needle):
    monkeypatch.setattr(parquet_bounds, limit, value)
    resources = [f"arn:aws:ec2:us-east-1:1:instance/i-{i % 300:08d}-{'x' * 40}" for i in range(2000)]
    data = parquet_bytes(pa.table({"ResourceId": resources}), row_group_size=1000)
    with pytest.raises(IngestError) as caught:
        file_open("big.parquet", memory_file("big.parquet", data).open)
    assert needle in str(caught.value)
    assert str(caught.value).startswith("big.parquet")


def test_the_dictionary_page_is_found_where_old_writers_leave_no_offset():
    """parquet-mr 1.8 (AWS's sample CUR) records no dictionary page offset; the header is read at the first page."""
    from costs.tests.test_ingest_support import LEGACY_PARQUET

    metadata = pq.read_metadata(LEGACY_PARQUET)
    chunk = metadata.row_group(0).column(0)
    assert not chunk.has_dictionary_page and "RLE_DICTIONARY" in chunk.encodings
    with LEGACY_PARQUET.open("rb") as stream:
        size = parquet_bounds._dictionary_page_size(stream, chunk)
    assert size is not None and 0 < size < chunk.total_uncompressed_size


LEGACY_HEADER = (
    "identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,bill/BillingPeriodEndDate,"
    "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/LineItemType,lineItem/CurrencyCode,"
    "lineItem/UnblendedCost,lineItem/ProductCode,savingsPlan/SavingsPlanEffectiveCost,"
    "savingsPlan/SavingsPlanARN"
)


def legacy_row(n: int, kind: str, unblended: str, sp_effective: str = "") -> str:
    arn = "arn:aws:savingsplans::1:savingsplan/sp-1" if sp_effective else ""
    return (
        f"id-{n},111122223333,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,2025-03-0{n}T00:00:00Z,"
        f"2025-03-0{n}T01:00:00Z,{kind},USD,{unblended},AmazonEC2,{sp_effective},{arn}"
    )


@pytest.mark.django_db
def test_every_cost_basis_rounds_the_thirteenth_decimal_half_up(org_a):
    """Billed/unblended go to NUMERIC as text (PostgreSQL rounds); effective is computed in Arrow (was truncated)."""
    enter(org_a)
    rows = [
        legacy_row(1, "Usage", "1.0000000000005"),
        legacy_row(2, "Usage", "-0.0000000000005"),
        legacy_row(3, "Usage", "2.4999999999994"),
        legacy_row(4, "SavingsPlanCoveredUsage", "3.00", sp_effective="0.1234567890125"),
    ]
    data = ("\n".join([LEGACY_HEADER, *rows]) + "\n").encode()
    delivery_ingest(source=CostSource.objects.uploads(), files=[memory_file("cur.csv", data)])
    lines = {
        line.charge_period_start.day: (line.billed_cost, line.unblended_cost, line.effective_cost)
        for line in CostLineItem.objects.all()
    }
    assert lines[1] == (Decimal("1.000000000001"),) * 3
    assert lines[2] == (Decimal("-0.000000000001"),) * 3
    assert lines[3] == (Decimal("2.499999999999"),) * 3
    assert lines[4] == (Decimal("3.00"), Decimal("3.00"), Decimal("0.123456789013"))
