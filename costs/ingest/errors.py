"""The one error type ingestion raises for bad input; its message names file, row and column."""

from __future__ import annotations


class IngestError(Exception):
    """Bad input: the delivery is rejected and earlier data of its billing periods stays as it was."""

    def __init__(self, message: str, *, file: str = "", row: int | None = None, column: str = "") -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        where = []
        if file:
            where.append(file)
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
