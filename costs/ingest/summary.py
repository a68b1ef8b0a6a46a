"""What an ingest reports: rows, periods, the reconciliation totals, accounts it discovered."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from costs.vocabulary import BASES

# period -> currency -> basis -> amount; None for a basis the export does not carry ("not in this export")
Totals = dict[str, dict[str, dict[str, Decimal | None]]]


@dataclass
class IngestSummary:
    rows: int
    bytes: int
    billing_periods: list[str]
    totals: Totals
    new_accounts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Other sources' rows this delivery took over (uploaded data a linked export replaced).
    replaced: list[str] = field(default_factory=list)
    # Accepted but worth a look: {"file", "row", "column", "value", "message"} (implausible amounts).
    warnings: list[dict[str, Any]] = field(default_factory=list)
    delivery_key: str = ""
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: Decimal amounts as strings (never floats)."""
        data = asdict(self)
        data["totals"] = {
            period: {
                currency: {basis: None if amount is None else format(amount, "f") for basis, amount in bases.items()}
                for currency, bases in cur.items()
            }
            for period, cur in self.totals.items()
        }
        return data


def period_totals(cursor: Any, *, source_id: int, periods: list[datetime.date]) -> Totals:
    cursor.execute(
        f"""SELECT billing_period, currency, {", ".join(f"SUM({b})" for b in BASES)}
            FROM costs_dailycostrollup
            WHERE source_id = %s AND billing_period = ANY(%s) AND NOT is_estimate
            GROUP BY 1, 2 ORDER BY 1, 2""",
        [source_id, periods],
    )
    totals: Totals = {}
    for period, currency, *sums in cursor.fetchall():
        totals.setdefault(f"{period:%Y-%m}", {})[currency] = {
            b: None if s is None else Decimal(s) for b, s in zip(BASES, sums, strict=True)
        }
    return totals
