"""What an ingest noticed without rejecting the file: null tokens read as empty, implausible amounts.

One collector per delivery, filled by the mapping (in its helper thread) and read when the
delivery is done; the job keeps the notes and warnings and its page shows them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WARNINGS_KEPT = 50  # per delivery; the rest are counted


@dataclass
class Observations:
    # (file, column) -> token -> count
    null_tokens: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    warnings_total: int = 0

    def null_tokens_seen(self, *, file: str, column: str, tokens: Counter[str]) -> None:
        self.null_tokens.setdefault((file, column), Counter()).update(tokens)

    def warn(self, *, file: str, row: int, column: str, value: str, message: str) -> None:
        self.warnings_total += 1
        if len(self.warnings) < WARNINGS_KEPT:
            self.warnings.append({"file": file, "row": row, "column": column, "value": value, "message": message})

    def notes(self) -> list[str]:
        """One sentence per file and column where null tokens were read as empty."""
        notes = []
        for (file, column), tokens in sorted(self.null_tokens.items()):
            total = sum(tokens.values())
            spelled = ", ".join(f"{token!r} x{count:,}" for token, count in tokens.most_common())
            notes.append(f"{file}, column {column}: {total:,} null token(s) read as empty ({spelled})")
        return notes

    def warnings_note(self) -> list[str]:
        hidden = self.warnings_total - len(self.warnings)
        return [f"{hidden:,} more warning(s) not listed"] if hidden > 0 else []
