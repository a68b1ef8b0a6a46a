"""Parquet read within limits: the footer is checked before any data, batches are bounded by bytes.

A Parquet file can claim little and expand to a lot: a column dictionary-encoded over two
million rows with one 1 MiB value is 55 KB on disk and terabytes once read. So:
1. the footer's row-group and column-chunk sizes, and each dictionary page's header, are
   checked against `limits` before a row is read;
2. every text column is read as an Arrow dictionary (indices into the file's dictionary, no
   copies), its expanded size is measured per row, and only slices that fit BATCH_BYTES are
   decoded to plain text. A value over FIELD_LIMIT fails naming its row and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from costs.ingest.errors import IngestError
from costs.ingest.limits import (
    BATCH_BYTES,
    COLUMN_CHUNK_LIMIT,
    DICTIONARY_PAGE_LIMIT,
    EXPANSION_FLOOR,
    EXPANSION_RATIO,
    FIELD_LIMIT,
    ROW_GROUP_LIMIT,
    size_text,
)

BATCH_ROWS = 32_768
_DICTIONARY_PAGE = 2  # parquet.thrift PageType


def footer_check(metadata: pq.FileMetaData, opener: Callable[[], BinaryIO], *, name: str) -> None:
    """Refuse a file whose footer declares a row group, column chunk or dictionary page past the limits."""
    stream = opener()
    try:
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            where = f"row group {index + 1} of {metadata.num_row_groups}"
            if group.total_byte_size > ROW_GROUP_LIMIT:
                raise IngestError(
                    f"{where} holds {size_text(group.total_byte_size)} uncompressed, more than the "
                    f"{size_text(ROW_GROUP_LIMIT)} one row group may hold; write it with smaller row groups",
                    file=name,
                )
            for column_index in range(group.num_columns):
                chunk = group.column(column_index)
                column = chunk.path_in_schema
                if chunk.total_uncompressed_size > COLUMN_CHUNK_LIMIT:
                    raise IngestError(
                        f"{where} holds {size_text(chunk.total_uncompressed_size)} of this column uncompressed, "
                        f"more than the {size_text(COLUMN_CHUNK_LIMIT)} allowed",
                        file=name,
                        column=column,
                    )
                dictionary_size = _dictionary_page_size(stream, chunk)
                if dictionary_size is not None and dictionary_size > DICTIONARY_PAGE_LIMIT:
                    raise IngestError(
                        f"{where} has a dictionary page of {size_text(dictionary_size)}, more than the "
                        f"{size_text(DICTIONARY_PAGE_LIMIT)} allowed",
                        file=name,
                        column=column,
                    )
    finally:
        stream.close()


def _dictionary_page_size(stream: BinaryIO, chunk: Any) -> int | None:
    """Uncompressed size of the chunk's dictionary page, from its page header; None when it has none.

    The footer does not say how large a dictionary is (and some writers do not even record
    where it is), but a dictionary page comes first in its chunk and its header says.
    """
    offset = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    if offset is None or offset < 4:
        return None
    try:
        stream.seek(offset)
        header = _page_header_start(stream.read(32))
    except OSError:
        return None
    if header is None or header[0] != _DICTIONARY_PAGE:
        return None
    return header[1]


def _page_header_start(data: bytes) -> tuple[int, int] | None:
    """(type, uncompressed_page_size) from the first fields of a Thrift compact PageHeader, or None."""
    position = 0
    field_id = 0
    values: dict[int, int] = {}
    while len(values) < 2 and position < len(data):
        byte = data[position]
        position += 1
        delta, kind = byte >> 4, byte & 0x0F
        if delta == 0 or kind != 5:  # long-form field ids or a non-i32 field: not a header we read
            return None
        field_id += delta
        number, shift = 0, 0
        while position < len(data):
            part = data[position]
            position += 1
            number |= (part & 0x7F) << shift
            shift += 7
            if not part & 0x80:
                break
        else:
            return None
        values[field_id] = (number >> 1) ^ -(number & 1)  # zigzag
    if 1 not in values or 2 not in values:
        return None
    return values[1], values[2]


def text_leaves(metadata: pq.FileMetaData) -> list[int]:
    """Every BYTE_ARRAY leaf column: each is read as a dictionary, whatever the footer says of its encoding."""
    schema = metadata.schema
    return [index for index in range(len(schema)) if schema.column(index).physical_type == "BYTE_ARRAY"]


def plain_type(kind: pa.DataType) -> pa.DataType:
    """The type with every dictionary replaced by its value type (what the mappers expect)."""
    if pa.types.is_dictionary(kind):
        return plain_type(kind.value_type)
    if pa.types.is_map(kind):
        return pa.map_(plain_type(kind.key_type), plain_type(kind.item_type))
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(plain_type(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(plain_type(kind.value_type)))
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(plain_type(field.type)) for field in kind])
    return kind


class BoundedBatches:
    """Batches of one Parquet file, each expanding to at most BATCH_BYTES of text."""

    def __init__(self, parquet: pq.ParquetFile, *, name: str, declared_bytes: int) -> None:
        self.parquet = parquet
        self.name = name
        self.expansion_limit = max(EXPANSION_FLOOR, EXPANSION_RATIO * declared_bytes)
        self.expanded = 0
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        # One row group at a time: each has its own dictionaries.
        for group in range(self.parquet.metadata.num_row_groups):
            for batch in self.parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], use_threads=False):
                yield from self._bounded(batch)

    def _bounded(self, batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
        first_row = self.rows + 1
        self.rows += batch.num_rows
        row_bytes: pa.Array | None = None
        for index, column in enumerate(batch.columns):
            sizes = self._row_sizes(column, name=batch.schema.field(index).name, first_row=first_row)
            if sizes is not None:
                row_bytes = sizes if row_bytes is None else pc.add(row_bytes, sizes)
        schema = pa.schema([field.with_type(plain_type(field.type)) for field in batch.schema])
        if row_bytes is None:
            yield batch
            return
        total = int(pc.sum(row_bytes).as_py() or 0)
        self.expanded += total
        if self.expanded > self.expansion_limit:
            raise IngestError(
                f"expands to more than {size_text(self.expansion_limit)} of text by row {self.rows} "
                "(dictionary values repeated far beyond any real report); this is not a cost report",
                file=self.name,
            )
        for start, stop in _slices(row_bytes, total):
            piece = batch.slice(start, stop - start)
            decoded = [pc.cast(column, field.type) for column, field in zip(piece.columns, schema, strict=True)]
            yield pa.RecordBatch.from_arrays(decoded, schema=schema)

    def _row_sizes(self, column: pa.Array, *, name: str, first_row: int) -> pa.Array | None:
        """Bytes each row of a dictionary column expands to (None for other columns); checks FIELD_LIMIT."""
        kind = column.type
        if pa.types.is_dictionary(kind):
            lengths = pc.binary_length(column.dictionary)
            per_row = pc.fill_null(pc.take(lengths, column.indices), 0)
            self._field_check(per_row, name=name, row_of=lambda i: first_row + i)
            return pc.cast(per_row, pa.int64())
        if pa.types.is_string(kind) or pa.types.is_binary(kind):
            self._field_check(pc.binary_length(column), name=name, row_of=lambda i: first_row + i)
            return None
        if pa.types.is_map(kind) or pa.types.is_list(kind):
            return self._nested_row_sizes(column, name=name, first_row=first_row)
        if pa.types.is_nested(kind) and _has_dictionary(kind):
            raise IngestError(f"holds a nested type this reader does not accept ({kind})", file=self.name, column=name)
        return None

    def _nested_row_sizes(self, column: Any, *, name: str, first_row: int) -> pa.Array | None:
        """Map or list column: bytes per entry (keys and values), summed per row through the offsets."""
        children = [column.keys, column.items] if pa.types.is_map(column.type) else [column.values]
        if any(pa.types.is_nested(child.type) for child in children):
            if _has_dictionary(column.type):
                raise IngestError(
                    f"holds a nested type this reader does not accept ({column.type})", file=self.name, column=name
                )
            return None
        offsets = column.offsets
        entry_bytes: pa.Array | None = None
        for child in children:
            if pa.types.is_dictionary(child.type):
                lengths = pc.fill_null(pc.take(pc.binary_length(child.dictionary), child.indices), 0)
            elif pa.types.is_string(child.type) or pa.types.is_binary(child.type):
                lengths = pc.fill_null(pc.binary_length(child), 0)
            else:
                continue

            def row_of(entry: int) -> int:
                return first_row + int(pc.index(pc.greater(offsets[1:], entry), True).as_py())

            self._field_check(lengths, name=name, row_of=row_of)
            lengths = pc.cast(lengths, pa.int64())
            entry_bytes = lengths if entry_bytes is None else pc.add(entry_bytes, lengths)
        if entry_bytes is None or not _has_dictionary(column.type):
            return None
        running = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(entry_bytes)])
        ends = pc.take(running, pc.cast(offsets[1:], pa.int64()))
        starts = pc.take(running, pc.cast(offsets[:-1], pa.int64()))
        return pc.subtract(ends, starts)

    def _field_check(self, lengths: pa.Array, *, name: str, row_of: Callable[[int], int]) -> None:
        if len(lengths) == 0:
            return
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > FIELD_LIMIT:
            index = int(pc.index(lengths, longest).as_py())
            raise IngestError(
                f"has a value of {size_text(longest)}, longer than the {size_text(FIELD_LIMIT)} any value "
                "of a cost report may be",
                file=self.name,
                row=row_of(index),
                column=name,
            )


def _has_dictionary(kind: pa.DataType) -> bool:
    return plain_type(kind) != kind


def _slices(row_bytes: pa.Array, total: int) -> Iterator[tuple[int, int]]:
    """Row ranges of the batch whose expanded text stays within BATCH_BYTES (at least one row each)."""
    n = len(row_bytes)
    if total <= BATCH_BYTES:
        yield 0, n
        return
    running = pc.cumulative_sum(row_bytes)
    start = 0
    while start < n:
        base = running[start - 1].as_py() if start else 0
        over = pc.index(pc.greater(running, base + BATCH_BYTES), True, start=start).as_py()
        stop = n if over == -1 else max(over, start + 1)
        yield start, stop
        start = stop
