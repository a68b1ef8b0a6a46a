"""Streaming readers: one report file in, Arrow record batches out, never the whole file in memory.

CSV (plain or gzip) is read with every column as text so costs never pass through float;
Parquet is read row group by row group. Decompressed data is read in bounded pieces and checked
against `limits` (header, line, field, Parquet footer and expansion), so memory stays bounded
whatever the file. Every failure becomes an IngestError naming the file (and row and column).
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from costs.ingest.errors import IngestError
from costs.ingest.limits import COLUMN_LIMIT, FIELD_LIMIT, LINE_LIMIT, first_line_read, size_text
from costs.ingest.parquet_bounds import BoundedBatches, footer_check, plain_type, text_leaves

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
NULL_TOKENS = ["", "NULL", "null"]


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read from it (for job progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(getattr(self.raw, "seekable", lambda: False)())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass
class FileReader:
    """Column names of one file and a generator of its batches; `bytes_read` grows while iterating."""

    name: str
    kind: str  # "csv" | "parquet"
    names: list[str]
    schema: pa.Schema | None
    batches: Iterator[pa.RecordBatch]
    counter: CountingReader
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bytes_read(self) -> int:
        return self.counter.count


def _sniff(opener: Callable[[], BinaryIO], name: str) -> tuple[bytes, bytes, int]:
    """First bytes, last bytes and size of the file."""
    stream = opener()
    try:
        head = stream.read(4)
        size = 0
        tail = b""
        if getattr(stream, "seekable", lambda: False)():
            size = stream.seek(0, io.SEEK_END)
            if size >= 8:
                stream.seek(size - 4)
                tail = stream.read(4)
        return head, tail, size
    except OSError as exc:
        raise IngestError(f"cannot be read ({exc})", file=name) from exc
    finally:
        stream.close()


def file_open(name: str, opener: Callable[[], BinaryIO]) -> FileReader:
    """Open one report file (CSV, CSV.gz or Parquet, told apart by content, not by name)."""
    head, tail, size = _sniff(opener, name)
    if not head:
        raise IngestError("is empty", file=name)
    if head == PARQUET_MAGIC:
        if tail != PARQUET_MAGIC:
            raise IngestError("is not a complete Parquet file: the footer is missing (truncated upload?)", file=name)
        return _parquet_open(name, opener)
    return _csv_open(name, opener, gzipped=head[:2] == GZIP_MAGIC)


def _parquet_open(name: str, opener: Callable[[], BinaryIO]) -> FileReader:
    counter = CountingReader(opener())
    try:
        # pre_buffer would cache read ranges across row groups; memory must not grow with the file.
        source = pa.PythonFile(counter, mode="r")
        metadata = pq.read_metadata(source)
        footer_check(metadata, opener, name=name)
        parquet = pq.ParquetFile(
            source, metadata=metadata, pre_buffer=False, buffer_size=1 << 20, read_dictionary=text_leaves(metadata)
        )
    except (pa.ArrowException, OSError) as exc:
        counter.close()
        raise IngestError(f"is not a readable Parquet file ({exc})", file=name) from exc
    except IngestError:
        counter.close()
        raise
    schema = pa.schema([field.with_type(plain_type(field.type)) for field in parquet.schema_arrow])
    declared = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    bounded = BoundedBatches(parquet, name=name, declared_bytes=declared)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from bounded
        except (pa.ArrowException, OSError) as exc:
            raise IngestError(f"is not a readable Parquet file ({exc})", file=name) from exc
        finally:
            counter.close()

    return FileReader(name, "parquet", list(schema.names), schema, batches(), counter)


def _text_header(name: str, opener: Callable[[], BinaryIO], gzipped: bool) -> list[str]:
    raw = opener()
    try:
        # GzipFile.read(n) inflates at most n bytes: the header is read in bounded chunks.
        stream: BinaryIO = gzip.GzipFile(fileobj=raw) if gzipped else raw  # type: ignore[assignment]
        line = first_line_read(stream, name=name)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"is not a readable gzip file ({exc})", file=name) from exc
    finally:
        raw.close()
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError("is neither CSV text, gzip nor Parquet (unknown format)", file=name) from exc
    try:
        first = next(csv.reader([text]), None)
    except csv.Error as exc:
        raise IngestError(f"has an unreadable CSV header ({exc})", file=name, row=0) from exc
    if not first or not any(cell.strip() for cell in first):
        raise IngestError("is empty (no CSV header)", file=name)
    if len(first) > COLUMN_LIMIT:
        raise IngestError(f"has {len(first):,} columns, more than the {COLUMN_LIMIT:,} a cost report has", file=name)
    return [cell.strip() for cell in first]


def _csv_open(name: str, opener: Callable[[], BinaryIO], *, gzipped: bool) -> FileReader:
    names = _text_header(name, opener, gzipped)
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise IngestError(f"has duplicate columns: {', '.join(duplicates)}", file=name)
    counter = CountingReader(opener())
    source: Any = pa.PythonFile(counter, mode="r")
    if gzipped:
        source = pa.CompressedInputStream(source, "gzip")
    # Read as bytes, so invalid UTF-8 can be named by row (Arrow names only the column).
    convert = pcsv.ConvertOptions(
        column_types={n: pa.binary() for n in names},
        null_values=NULL_TOKENS,
        strings_can_be_null=True,
    )
    # A row must fit one block: the block size is the line limit.
    read = pcsv.ReadOptions(block_size=LINE_LIMIT, encoding="utf8")
    parse = pcsv.ParseOptions(newlines_in_values=True)
    try:
        reader = pcsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError) as exc:
        counter.close()
        raise IngestError(_csv_problem(exc, gzipped, row=1), file=name) from exc
    schema = pa.schema([pa.field(n, pa.string()) for n in reader.schema.names])

    def batches() -> Iterator[pa.RecordBatch]:
        rows = 0
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:
                    raise IngestError(_csv_problem(exc, gzipped, row=rows + 1), file=name) from exc
                yield _text_batch(batch, schema, name=name, first_row=rows + 1)
                rows += batch.num_rows
        finally:
            counter.close()

    return FileReader(name, "csv", names, schema, batches(), counter)


def _text_batch(batch: pa.RecordBatch, schema: pa.Schema, *, name: str, first_row: int) -> pa.RecordBatch:
    """Bytes -> UTF-8 text, column by column; an over-long value or invalid UTF-8 names its row and column."""
    columns = []
    for column_field, column in zip(schema, batch.columns, strict=True):
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is not None and longest > FIELD_LIMIT:
            index = int(pc.index(pc.binary_length(column), longest).as_py())
            raise IngestError(
                f"has a value of {size_text(longest)}, longer than the {size_text(FIELD_LIMIT)} any value "
                "of a cost report may be",
                file=name,
                row=first_row + index,
                column=column_field.name,
            )
        try:
            columns.append(column.cast(pa.string()))
        except pa.ArrowInvalid:
            index, value = next((i, v) for i, v in enumerate(column.to_pylist()) if v is not None and not _is_utf8(v))
            raise IngestError(
                f"is not UTF-8 text ({value[:40]!r}); export the report as UTF-8",
                file=name,
                row=first_row + index,
                column=column_field.name,
            ) from None
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _csv_problem(exc: Exception, gzipped: bool, *, row: int) -> str:
    text = str(exc)
    if "straddling" in text or "straddles" in text:
        return (
            f"row {row} is longer than {size_text(LINE_LIMIT)} (or opens a quote that never closes); "
            "this is not a cost report"
        )
    if gzipped and ("gzip" in text.lower() or "compress" in text.lower() or "truncat" in text.lower()):
        return f"is a damaged or truncated gzip file ({text})"
    return f"is not valid CSV ({text})"
