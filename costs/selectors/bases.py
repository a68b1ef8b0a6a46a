"""Summing cost bases over rollups: a basis some summed export does not carry is None, never 0.

An export that lacks a basis (a legacy CUR without net-unblended columns, FOCUS without CUR's
unblended figures, Cost Explorer without list prices) has NULL for it in its rollups. A sum
that covers such a rollup is not the total of that basis, so it is None: pages and the API
show it as "not in this export" (`costs.vocabulary.NOT_IN_EXPORT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from costs.vocabulary import BASES

_ROWS = "rollups_summed"


def basis_sums() -> dict[str, Any]:
    """Aggregates for `.annotate(**basis_sums())`: each basis's sum, and how many rollups carried it."""
    aggregates: dict[str, Any] = {_ROWS: Count("id")}
    # The counts first: once a sum is annotated under the basis's name, the name means the sum.
    aggregates.update({f"{basis}_carried": Count(basis) for basis in BASES})
    aggregates.update({basis: Sum(basis) for basis in BASES})
    return aggregates


def basis_values(row: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """basis -> Decimal total, or None when some rollup of the sum does not carry the basis."""
    return {basis: (row[basis] or Decimal(0)) if row[f"{basis}_carried"] == row[_ROWS] else None for basis in BASES}
