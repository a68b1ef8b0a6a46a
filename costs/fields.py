"""Model fields for money and quantities: NUMERIC, never float."""

from __future__ import annotations

from typing import Any

from django.db import models


def money_field(**options: Any) -> models.DecimalField:
    """NUMERIC(28,12): real bills carry up to ~11 decimals per line (FOCUS sample: 0.00000080000);
    12 keeps them exact, and 16 integer digits is far beyond any line or daily sum."""
    return models.DecimalField(max_digits=28, decimal_places=12, **options)


def quantity_field(**options: Any) -> models.DecimalField:
    """NUMERIC(32,15): quantities and unit prices show up with 15 decimals in FOCUS exports."""
    return models.DecimalField(max_digits=32, decimal_places=15, **options)


def summary_money_field() -> models.DecimalField:
    """A summary row's figure: NULL where a line behind it lacks the basis ("not in this export")."""
    return money_field(null=True)
