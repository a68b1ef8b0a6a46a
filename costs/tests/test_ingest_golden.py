"""Golden cases: the FOCUS 1.2 spec's commitment-discount examples load with their Billed and Effective costs.

The examples leave out BillingAccountId and BillingCurrency (mandatory in real exports); the
test adds both, and nothing else, before ingesting.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from costs.ingest.delivery import delivery_ingest
from costs.ingest.errors import IngestError
from costs.models import CostLineItem, CostSource
from costs.tests.test_ingest_support import DATA, as_file, db_totals, enter, raw

EXAMPLES = sorted((DATA / "focus" / "examples_1.2").glob("*/*.csv"))

pytestmark = pytest.mark.django_db

# Two purchase examples in the spec carry an impossible timestamp (hour 30); they must be
# rejected with the row and column, not loaded with a guessed date.
BROKEN = {"commitment_discount_purchase_scenario_2": 3, "commitment_discount_purchase_scenario_3": 4}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_spec_example_keeps_billed_and_effective_cost(org_a, tmp_path, example):
    enter(org_a)
    lines = [line for line in example.read_text().splitlines() if line.strip()]
    completed = [f"BillingAccountId,BillingCurrency,{lines[0]}"] + [f"golden,USD,{line}" for line in lines[1:]]
    path = tmp_path / example.name
    path.write_text("\n".join(completed) + "\n")
    if example.stem in BROKEN:
        with pytest.raises(
            IngestError, match=rf"row {BROKEN[example.stem]}, column ChargePeriodEnd: has an invalid date"
        ):
            delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(path)])
        return
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(path)])
    billed, effective, count = raw(
        f"""SELECT SUM(CAST(BilledCost AS DECIMAL(38,12))), SUM(CAST(EffectiveCost AS DECIMAL(38,12))), COUNT(*)
            FROM read_csv('{example}', all_varchar = true, nullstr = 'null')"""
    )[0]
    totals = db_totals()[("2023-01", "USD")]
    assert totals["billed_cost"] == Decimal(billed)
    assert totals["effective_cost"] == Decimal(effective)
    assert CostLineItem.objects.count() == count
    if "CommitmentDiscountStatus" in lines[0]:
        query = (
            f"SELECT DISTINCT CommitmentDiscountStatus FROM read_csv('{example}', all_varchar = true, nullstr = 'null')"
        )
        statuses = {row[0] for row in raw(query)}
        assert set(CostLineItem.objects.values_list("commitment_discount_status", flat=True)) == statuses
