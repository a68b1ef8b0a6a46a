"""The bill's vocabulary names real columns: every basis and dimension exists where it is summed or grouped."""

from __future__ import annotations

from django.db.models import Model

from costs.ingest.columns import CANONICAL_NAMES
from costs.models import CostLineItem, DailyCostRollup
from costs.vocabulary import BASES, GROUPABLE, ROLLUP_DIMENSIONS, ChargeCategory, CostBasis


def _columns(model: type[Model]) -> set[str]:
    return {field.attname for field in model._meta.concrete_fields}


def test_every_cost_basis_is_a_rollup_column_a_line_item_column_and_a_canonical_column() -> None:
    assert tuple(CostBasis.values) == BASES
    assert set(BASES) <= _columns(DailyCostRollup)
    assert set(BASES) <= _columns(CostLineItem)
    assert set(BASES) <= set(CANONICAL_NAMES)


def test_the_rollup_dimensions_and_the_groupable_ones_are_rollup_columns() -> None:
    assert set(ROLLUP_DIMENSIONS) <= _columns(DailyCostRollup)
    assert set(GROUPABLE) <= set(ROLLUP_DIMENSIONS)


def test_bases_have_the_labels_pages_show() -> None:
    assert dict(CostBasis.choices)["effective_cost"] == "Effective (amortized)"
    assert ChargeCategory.values == ["Usage", "Purchase", "Tax", "Credit", "Adjustment"]
