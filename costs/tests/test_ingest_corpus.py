"""The corpus of bad and unusual cost files (issue 14, "Done when"): every file is generated here, and
each has the one outcome it must have.

- Accepted: the job succeeds with these exact totals per basis (None: the export does not carry
  the basis), this many rows, and the notes or warnings named.
- Rejected: the job fails with a message that starts with where the problem is (file, row,
  column when there is one) and says what it is; nothing is written (the organization's earlier
  data, loaded first, is exactly as it was).

Accepted files bill May 2025, which the earlier data does not touch, so both can be checked.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from costs.ingest.delivery import delivery_ingest
from costs.ingest.jobs import job_create, job_execute
from costs.models import (
    CostLineItem,
    CostSource,
    DailyCostRollup,
    DailyUsageCost,
    Delivery,
    JobStatus,
    JobTrigger,
    MonthlyResourceCost,
)
from costs.tests.ingest_corpus import BASES, CORPUS, PERIOD, Accepted, Case, Rejected
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, db_totals, enter, line_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier(org_a):
    """The organization's earlier data (March 2025 and February 2025), which no corpus file may change."""
    enter(org_a)
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    return source, db_totals(), line_count(), Delivery.objects.count()


def test_the_corpus_has_at_least_twenty_files_of_each_kind():
    assert sum(isinstance(c.outcome, Accepted) for c in CORPUS) >= 20
    assert sum(isinstance(c.outcome, Rejected) for c in CORPUS) >= 20
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_each_file_has_its_outcome(earlier, case: Case):
    source, totals_before, lines_before, deliveries_before = earlier
    file = case.make()
    job = job_execute(job=job_create(source=source, trigger=JobTrigger.UPLOAD, files=[file.name]), files=[file])

    totals = db_totals()
    outcome = case.outcome
    if isinstance(outcome, Rejected):
        assert job.status == JobStatus.FAILED
        assert job.error.startswith(outcome.where + ":"), job.error
        assert outcome.says.lower() in job.error.lower(), job.error
        assert (totals, line_count(), Delivery.objects.count()) == (totals_before, lines_before, deliveries_before)
        return
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.rows == outcome.rows
    for currency, amounts in [("USD", outcome.totals), *outcome.other_currencies.items()]:
        got = {basis: totals[(PERIOD, currency)][basis] for basis in BASES}
        assert got == {basis: Decimal(amounts[basis]) if basis in amounts else None for basis in BASES}, currency
    assert {key: value for key, value in totals.items() if key[0] != PERIOD} == totals_before
    if outcome.note:
        assert any(outcome.note in note for note in job.notes), job.notes
    if outcome.warning:
        assert any(outcome.warning in w["message"] for w in job.warnings), job.warnings


# --- issue 16 item 9: every basis rounds the same way, in both formats and in every summary -----

THIRTEENTH_CASES = [c for c in CORPUS if c.id.startswith("13th decimal")]
ROUNDED = [Decimal("1.000000000001"), Decimal("-0.000000000001"), Decimal("2.499999999999")]


@pytest.mark.parametrize("case", THIRTEENTH_CASES, ids=[c.id for c in THIRTEENTH_CASES])
def test_the_thirteenth_decimal_rounds_half_up_in_line_items_rollups_and_summaries(org_a, case: Case):
    enter(org_a)
    outcome = case.outcome
    assert isinstance(outcome, Accepted)
    delivery_ingest(source=CostSource.objects.uploads(), files=[case.make()])
    carried = [basis for basis in BASES if basis in outcome.totals]
    lines = list(CostLineItem.objects.order_by("charge_period_start").values(*carried, "x_line_item_type"))
    for line, rounded in zip(lines, ROUNDED, strict=False):
        assert {basis: line[basis] for basis in carried} == dict.fromkeys(carried, rounded), case.id
    if len(lines) == 4:  # the CUR files' savings-plan line: effective cost is computed, not copied
        assert lines[3]["effective_cost"] == Decimal("0.123456789013")
    expected = {basis: Decimal(outcome.totals[basis]) for basis in carried}
    for model in (DailyCostRollup, DailyUsageCost, MonthlyResourceCost):
        sums = model.objects.aggregate(**{basis: Sum(basis) for basis in carried})
        assert sums == expected, model.__name__
