"""Streaming readers: one report file in, Arrow record batches out, never the whole file in memory.

CSV (plain or gzip) is read with every column as text so costs never pass through float;
Parquet is read row group by row group. Every failure becomes an IngestError naming the file.
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
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from costs.ingest.errors import IngestError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
CSV_BLOCK_SIZE = 2 << 20
PARQUET_BATCH_ROWS = 32_768
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
        parquet = pq.ParquetFile(pa.PythonFile(counter, mode="r"), pre_buffer=False, buffer_size=1 << 20)
    except (pa.ArrowException, OSError) as exc:
        counter.close()
        raise IngestError(f"is not a readable Parquet file ({exc})", file=name) from exc
    schema = parquet.schema_arrow

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            raise IngestError(f"is not a readable Parquet file ({exc})", file=name) from exc
        finally:
            counter.close()

    return FileReader(name, "parquet", list(schema.names), schema, batches(), counter)


def _text_header(name: str, opener: Callable[[], BinaryIO], gzipped: bool) -> list[str]:
    raw = opener()
    try:
        stream: BinaryIO = gzip.GzipFile(fileobj=raw) if gzipped else raw  # type: ignore[assignment]
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        first = next(csv.reader(text), None)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"is not a readable gzip file ({exc})", file=name) from exc
    except UnicodeDecodeError as exc:
        raise IngestError("is neither CSV text, gzip nor Parquet (unknown format)", file=name) from exc
    except csv.Error as exc:
        raise IngestError(f"has an unreadable CSV header ({exc})", file=name, row=0) from exc
    finally:
        raw.close()
    if not first or not any(cell.strip() for cell in first):
        raise IngestError("is empty (no CSV header)", file=name)
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
    convert = pcsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        null_values=NULL_TOKENS,
        strings_can_be_null=True,
    )
    read = pcsv.ReadOptions(block_size=CSV_BLOCK_SIZE, encoding="utf8")
    parse = pcsv.ParseOptions(newlines_in_values=True)
    try:
        reader = pcsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError) as exc:
        counter.close()
        raise IngestError(_csv_problem(exc, gzipped), file=name) from exc

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:
                    raise IngestError(_csv_problem(exc, gzipped), file=name) from exc
                yield batch
        finally:
            counter.close()

    return FileReader(name, "csv", names, reader.schema, batches(), counter)


def _csv_problem(exc: Exception, gzipped: bool) -> str:
    text = str(exc)
    if gzipped and ("gzip" in text.lower() or "compress" in text.lower() or "truncat" in text.lower()):
        return f"is a damaged or truncated gzip file ({text})"
    return f"is not valid CSV ({text})"
