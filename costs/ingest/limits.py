"""How large any part of a report may be, so memory stays bounded whatever a file claims.

A hostile or broken file must fail fast and small: a gzip stream whose first line never ends,
a Parquet dictionary whose one value is repeated over millions of rows. Every reader reads
decompressed data in bounded pieces and checks these limits before it holds more.
Real reports stay far below them: AWS and Azure cap a tag value at 256 characters, the longest
FOCUS fields (Tags JSON) are a few KiB, and writers cut Parquet row groups at ~128 MiB.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from costs.ingest.errors import IngestError

# Text (CSV, CSV.gz)
HEADER_LIMIT = 1 << 20  # the first line: column names
# Every later line: the CSV reader's block size. A row must fit in one block plus the rest of
# the one before, so a line past twice this always fails (and one past it may).
LINE_LIMIT = 2 << 20
COLUMN_LIMIT = 10_000
# Any file
FIELD_LIMIT = 64 << 10  # one value of one row
# Parquet: what the footer declares, checked before reading, and what a batch expands to
ROW_GROUP_LIMIT = 512 << 20  # uncompressed bytes of one row group
COLUMN_CHUNK_LIMIT = 256 << 20  # uncompressed bytes of one column in one row group
DICTIONARY_PAGE_LIMIT = 16 << 20  # uncompressed bytes of one dictionary page
BATCH_BYTES = 64 << 20  # text one batch may expand to once dictionaries are decoded
# Dictionary encoding lets a few bytes stand for any amount of text. Real reports expand to
# under 100 times their declared size; past this (and past a floor) the file is a bomb. The floor
# only counts for files under a few MB; it is low so a bomb is refused before much is loaded.
EXPANSION_FLOOR = 512 << 20
EXPANSION_RATIO = 200

READ_CHUNK = 64 << 10
_QUOTE_OR_NEWLINE = re.compile(rb'["\n]')


def size_text(n: int) -> str:
    """1048576 -> '1 MiB' (limits are powers of two)."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def first_line_read(stream: BinaryIO, *, name: str) -> bytes:
    """The header line of a text report (without its line break), read in bounded chunks.

    A newline inside a quoted name does not end the line. Raises IngestError when no line
    ends within HEADER_LIMIT bytes: such a file is not a cost report, and reading on would
    hold all of it (a 3 MB gzip can expand to gigabytes without a newline).
    """
    buffer = bytearray()
    in_quotes = False
    scanned = 0
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return bytes(buffer)
        buffer += chunk
        for match in _QUOTE_OR_NEWLINE.finditer(buffer, scanned):
            if match.group() == b'"':
                in_quotes = not in_quotes
            elif not in_quotes:
                return bytes(buffer[: match.start()]).rstrip(b"\r")
        scanned = len(buffer)
        if len(buffer) > HEADER_LIMIT:
            raise IngestError(
                f"the first line is longer than {size_text(HEADER_LIMIT)}; this is not a cost report", file=name
            )
