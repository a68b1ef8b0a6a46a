"""Amounts that may be unknown: None is a cost basis the bill does not carry ("not in this export").

Unknown is never treated as zero: anything added to or taken from an unknown amount is unknown.
"""

from __future__ import annotations

from decimal import Decimal

Amount = Decimal | None


def amount_add(a: Amount, b: Amount) -> Amount:
    return None if a is None or b is None else a + b


def amount_sub(a: Amount, b: Amount) -> Amount:
    return None if a is None or b is None else a - b
