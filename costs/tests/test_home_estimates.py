"""The home dashboard with Cost Explorer estimates: they count only for days no bill covers, and the
page names those days "Cost Explorer estimate"."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from costs.explorer.tests.bills import ingest, write_bill
from costs.models import CostSource, SourceKind
from costs.selectors import home_dashboard
from costs.tests.test_ingest_support import enter
from costs.tests.test_selectors import estimate


def test_estimates_count_only_where_no_bill_covers_the_day_and_are_named_on_home(
    org_a: Any, client_for: Any, tmp_path: Path
) -> None:
    today = timezone.now().date()
    ingest(org_a.organization.slug, write_bill(tmp_path / "bill.csv", today=today, days=40))
    enter(org_a)
    explorer = CostSource.objects.create(name="Cost Explorer", kind=SourceKind.COST_EXPLORER)
    yesterday = today - datetime.timedelta(days=1)
    estimate(explorer, yesterday, "111122223333", "500.00")  # a bill covers yesterday: ignored
    estimate(explorer, today, "111122223333", "7.25")  # no bill yet: counted, and named
    before = home_dashboard(today=today, tag_key=None)
    assert before is not None and before.estimate_days == (today, today)
    usd = {c.currency: c.current for c in before.month_to_date}["USD"]
    bill_only = sum(
        (
            a
            for (day, _s, cur), a in _cells(org_a, today).items()
            if cur == "USD" and day.month == today.month and day.year == today.year
        ),
        Decimal(0),
    )
    assert usd == bill_only + Decimal("7.25")

    response = client_for(org_a.viewer, org_a).get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="estimate-days"' in text and "Cost Explorer estimate" in text


def _cells(org_a: Any, today: datetime.date) -> dict[tuple[datetime.date, str, str], Decimal]:
    from costs.models import DailyCostRollup

    enter(org_a)
    out: dict[tuple[datetime.date, str, str], Decimal] = {}
    for row in DailyCostRollup.objects.filter(is_estimate=False, day__lte=today):
        key = (row.day, row.service_name, row.currency)
        out[key] = out.get(key, Decimal(0)) + row.billed_cost
    return out
