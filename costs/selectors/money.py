"""Money for display (amounts themselves stay Decimal everywhere else)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def money_format(amount: Decimal, currency: str) -> str:
    """$1,234.56 for USD; `1,234.56 EUR` for others (rounded half-up to cents, display only)."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    return f"{sign}${text}" if currency == "USD" else f"{sign}{text} {currency}"
