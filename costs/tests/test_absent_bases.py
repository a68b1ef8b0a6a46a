"""A cost basis the export does not carry is NULL ("not in this export"), never 0 (issue 14, item 8):
line items, rollups, cost_totals, daily costs, the ingest summary, the cost_totals command."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.models import CostLineItem, CostSource, DailyCostRollup, SourceKind
from costs.selectors import NOT_IN_EXPORT, cost_totals, daily_costs, money_format
from costs.tests.test_ingest_support import FOCUS_SMALL, LEGACY_CSV, as_file, enter

pytestmark = pytest.mark.django_db

HEADER = (
    "identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageStartDate,"
    "lineItem/LineItemType,lineItem/CurrencyCode,lineItem/UnblendedCost,pricing/publicOnDemandCost"
)


def cur_file(name: str, rows: list[str], header: str = HEADER) -> DeliveryFile:
    data = ("\n".join([header, *rows]) + "\n").encode()
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def all_row(period: str) -> dict:
    return next(r for r in cost_totals(period=period) if r["charge_category"] == "All")


def test_a_legacy_cur_without_net_columns_has_no_net_cost_anywhere(org_a):
    enter(org_a)
    header = LEGACY_CSV.read_text().split("\n", 1)[0]
    assert "lineItem/NetUnblendedCost" not in header  # the real sample has no net columns
    summary = delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(LEGACY_CSV)])

    assert not CostLineItem.objects.filter(net_unblended_cost__isnull=False).exists()
    assert not DailyCostRollup.objects.filter(net_unblended_cost__isnull=False).exists()
    assert summary.totals["2023-11"]["USD"]["net_unblended_cost"] is None
    assert summary.as_json()["totals"]["2023-11"]["USD"]["net_unblended_cost"] is None
    for row in cost_totals():
        assert row["net_unblended_cost"] is None, row
        assert row["unblended_cost"] is not None and row["billed_cost"] is not None
    day = daily_costs(start=datetime.date(2023, 11, 1), end=datetime.date(2023, 11, 30))[0]
    assert day["net_unblended_cost"] is None and isinstance(day["unblended_cost"], Decimal)

    out = io.StringIO()
    call_command("cost_totals", "--org", org_a.organization.slug, stdout=out)
    printed = json.loads(out.getvalue())["totals"]
    assert printed and all(row["net_unblended_cost"] is None for row in printed)
    assert all(isinstance(row["unblended_cost"], str) for row in printed)


def test_focus_has_no_cur_unblended_figures_but_keeps_its_list_cost(org_a):
    enter(org_a)
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    march = all_row("2025-03")
    assert march["unblended_cost"] is None and march["net_unblended_cost"] is None
    # ListCost is in the export; the tax line's 0 is a real zero.
    assert march["list_cost"] == Decimal("18.0000008")
    tax = next(r for r in cost_totals(period="2025-03") if r["charge_category"] == "Tax")
    assert tax["list_cost"] == 0 and tax["unblended_cost"] is None


def test_a_basis_present_in_the_export_counts_an_empty_line_as_zero(org_a):
    enter(org_a)
    rows = [
        "a,111122223333,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,Usage,USD,2.00,2.50",
        "b,111122223333,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,Tax,USD,0.20,",
    ]
    delivery_ingest(source=CostSource.objects.uploads(), files=[cur_file("cur.csv", rows)])
    assert all_row("2025-03")["list_cost"] == Decimal("2.50")
    tax = next(r for r in cost_totals(period="2025-03") if r["charge_category"] == "Tax")
    assert tax["list_cost"] == 0


def test_a_total_over_two_exports_where_one_lacks_a_basis_is_not_a_total(org_a):
    enter(org_a)
    uploads = CostSource.objects.uploads()
    other = CostSource.objects.create(name="Second uploads", kind=SourceKind.UPLOAD)
    with_list = ["a,111122223333,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,Usage,USD,2.00,2.50"]
    without_list = ["b,999988887777,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,Usage,USD,3.00"]
    delivery_ingest(source=uploads, files=[cur_file("a.csv", with_list)])
    delivery_ingest(source=other, files=[cur_file("b.csv", without_list, header=HEADER.rsplit(",", 1)[0])])
    total = all_row("2025-03")
    assert total["billed_cost"] == Decimal("5.00")
    assert total["list_cost"] is None  # 2.50 would be read as the whole bill's list cost
    (day,) = daily_costs(start=datetime.date(2025, 3, 2), end=datetime.date(2025, 3, 2), group_by="charge_category")
    assert day["list_cost"] is None and day["billed_cost"] == Decimal("5.00")
    by_source = daily_costs(start=datetime.date(2025, 3, 2), end=datetime.date(2025, 3, 2), group_by="source_id")
    assert {row["source_id"]: row["list_cost"] for row in by_source} == {uploads.pk: Decimal("2.50"), other.pk: None}


def test_an_absent_basis_is_shown_as_not_in_this_export():
    assert money_format(None, "USD") == NOT_IN_EXPORT == "not in this export"
    assert money_format(Decimal("0"), "USD") == "$0.00"
