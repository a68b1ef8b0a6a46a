"""Money for display (amounts themselves stay Decimal everywhere else)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from costs.vocabulary import NOT_IN_EXPORT


def money_format(amount: Decimal | None, currency: str) -> str:
    """$1,234.56 for USD; `1,234.56 EUR` for others (rounded half-up to cents, display only).

    None (a basis the export does not carry) reads "not in this export", never $0.00.
    """
    if amount is None:
        return NOT_IN_EXPORT
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    return f"{sign}${text}" if currency == "USD" else f"{sign}{text} {currency}"
