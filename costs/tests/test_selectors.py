"""Selectors over daily rollups: home figures, daily costs, estimates yielding to bills."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from costs.ingest.delivery import delivery_ingest
from costs.models import CostSource, DailyCostRollup, SourceKind
from costs.selectors import cost_totals, daily_costs, home_summary, money_format
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, enter

pytestmark = pytest.mark.django_db


def estimate(source, day: datetime.date, account: str, amount: str) -> DailyCostRollup:
    return DailyCostRollup.objects.create(
        day=day,
        source=source,
        billing_period=day.replace(day=1),
        billing_account_id=account,
        service_name="Amazon Elastic Compute Cloud",
        charge_category="Usage",
        currency="USD",
        billed_cost=Decimal(amount),
        effective_cost=Decimal(amount),
        row_count=1,
        is_estimate=True,
    )


@pytest.fixture
def explorer(org_a):
    enter(org_a)
    return CostSource.objects.create(name="Cost Explorer", kind=SourceKind.COST_EXPLORER)


def test_home_summary_is_empty_without_data(org_a):
    enter(org_a)
    assert home_summary() == {}


def test_home_summary_shows_formatted_month_figures_and_accounts(org_a):
    enter(org_a)
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    summary = home_summary(today=datetime.date(2025, 3, 2))
    assert list(summary) == ["Month to date", "Last month", "Linked accounts"]
    assert summary["Month to date"] == "$16.30"  # bill lines of 1-2 March incl. the monthly tax line
    assert summary["Last month"] == "$7.00"
    assert summary["Linked accounts"] == "3"


def test_money_format_handles_negative_and_other_currencies():
    assert money_format(Decimal("-1234.565"), "USD") == "-$1,234.57"
    assert money_format(Decimal("5"), "EUR") == "5.00 EUR"


def test_daily_costs_prefer_bill_rows_over_estimates_for_the_same_day_and_account(explorer):
    estimate(explorer, datetime.date(2025, 3, 2), "111122223333", "999")  # the bill covers this day
    estimate(explorer, datetime.date(2025, 3, 20), "111122223333", "3.50")  # no bill yet
    rows = {r["day"]: r for r in daily_costs(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31))}
    assert rows[datetime.date(2025, 3, 2)]["billed_cost"] == Decimal(999)  # only an estimate so far
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    by_account = daily_costs(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31), group_by="sub_account_id")
    day2 = [r for r in by_account if r["day"] == datetime.date(2025, 3, 2)]
    assert sum(r["billed_cost"] for r in day2) == Decimal("5.2500008")
    assert not any(r["is_estimate"] for r in day2)
    day20 = [r for r in by_account if r["day"] == datetime.date(2025, 3, 20)]
    assert [r["billed_cost"] for r in day20] == [Decimal("3.50")] and day20[0]["is_estimate"]


def test_ingesting_a_period_deletes_estimates_it_covers(explorer):
    estimate(explorer, datetime.date(2025, 3, 2), "111122223333", "999")
    estimate(explorer, datetime.date(2025, 3, 2), "other-account", "1")
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    left = DailyCostRollup.objects.filter(is_estimate=True)
    assert [e.billing_account_id for e in left] == ["other-account"]


def test_cost_totals_ignore_estimates_and_filter_by_period(explorer):
    estimate(explorer, datetime.date(2025, 4, 2), "111122223333", "50")
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    assert {r["billing_period"] for r in cost_totals()} == {"2025-02", "2025-03"}
    assert [r["charge_category"] for r in cost_totals(period="2025-02")] == ["Usage", "All"]


def test_daily_costs_reject_unknown_grouping(org_a):
    enter(org_a)
    with pytest.raises(ValueError, match="cannot group by"):
        daily_costs(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 1, 2), group_by="id; drop")
