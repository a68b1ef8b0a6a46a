"""Cost Explorer gap filling against moto over HTTP (results seeded through moto's CE seeding API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from costs.models import CostSource, DailyCostRollup, LinkedAccount, SourceKind
from costs.services.estimates_gap_fill import CostExplorerQuotaExceeded, estimates_gap_fill, request_quota_used
from costs.services.sources import source_create, source_credentials
from costs.tests.conftest import CUSTOMER_ACCOUNT, ROLE_ARN

START, END = date(2026, 10, 1), date(2026, 10, 4)


def group(service: str, account: str, unblended: str, amortized: str) -> dict[str, Any]:
    return {
        "Keys": [service, account],
        "Metrics": {
            "UnblendedCost": {"Amount": unblended, "Unit": "USD"},
            "AmortizedCost": {"Amount": amortized, "Unit": "USD"},
            "NetUnblendedCost": {"Amount": unblended, "Unit": "USD"},
            "NetAmortizedCost": {"Amount": amortized, "Unit": "USD"},
        },
    }


def day(start: str, end: str, *groups: dict[str, Any]) -> dict[str, Any]:
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": list(groups), "Estimated": True}


# Two pages: moto hands out queued results one per distinct request, and the second request
# differs from the first only by its NextPageToken.
PAGES = [
    {
        "ResultsByTime": [
            day("2026-10-01", "2026-10-02", group("Amazon EC2", "222222222222", "10.1234567891", "9.50")),
            day("2026-10-02", "2026-10-03", group("Amazon EC2", "222222222222", "11.00", "10.00")),
        ],
        "NextPageToken": "page-2",
    },
    {
        "ResultsByTime": [
            day("2026-10-02", "2026-10-03", group("Amazon S3", "333333333333", "0.0000000001", "0")),
            day("2026-10-03", "2026-10-04", group("Amazon S3", "333333333333", "2.25", "2.25")),
        ],
    },
]


@pytest.fixture
def linked(aws: Any, org_a: Any) -> Any:
    with tenant_context(org_a.organization):
        source = source_create(
            name="Payer", role_arn=ROLE_ARN, bucket="acme-billing", prefix="cur", export_name="daily", format="auto"
        )
        yield source, source_credentials(source=source)


def estimates() -> list[DailyCostRollup]:
    return list(DailyCostRollup.objects.filter(is_estimate=True).order_by("day", "service_name"))


def test_all_pages_are_written_as_exact_estimates(aws: Any, linked: Any) -> None:
    source, credentials = linked
    aws.seed_cost_explorer(PAGES)

    result = estimates_gap_fill(source=source, credentials=credentials, start=START, end=END)

    assert result.pages_requested == 2
    rows = estimates()
    assert [(r.day, r.service_name, r.sub_account_id) for r in rows] == [
        (date(2026, 10, 1), "Amazon EC2", "222222222222"),
        (date(2026, 10, 2), "Amazon EC2", "222222222222"),
        (date(2026, 10, 2), "Amazon S3", "333333333333"),
        (date(2026, 10, 3), "Amazon S3", "333333333333"),
    ]
    assert rows[0].billed_cost == Decimal("10.1234567891")
    assert rows[0].effective_cost == Decimal("9.50")
    assert rows[2].billed_cost == Decimal("0.0000000001")
    assert all(r.billing_account_id == CUSTOMER_ACCOUNT for r in rows)
    assert {r.source.kind for r in rows} == {SourceKind.COST_EXPLORER}
    assert CostSource.objects.filter(kind=SourceKind.COST_EXPLORER).count() == 1
    assert set(LinkedAccount.objects.values_list("account_id", flat=True)) == {"222222222222", "333333333333"}
    assert request_quota_used() == 2


def test_repeated_fill_is_served_from_the_cache_without_spending_the_request_quota(aws: Any, linked: Any) -> None:
    source, credentials = linked
    aws.seed_cost_explorer(PAGES)
    estimates_gap_fill(source=source, credentials=credentials, start=START, end=END)

    again = estimates_gap_fill(source=source, credentials=credentials, start=START, end=END)

    assert (again.pages_requested, again.pages_from_cache) == (0, 2)
    assert request_quota_used() == 2
    assert len(estimates()) == 4  # replaced, not appended


def test_request_quota_refuses_pages_beyond_it_with_a_clear_message(aws: Any, linked: Any, settings: Any) -> None:
    source, credentials = linked
    aws.seed_cost_explorer(PAGES)
    settings.COST_EXPLORER_MONTHLY_REQUEST_QUOTA = 1

    with pytest.raises(CostExplorerQuotaExceeded, match=r"request quota of 1 requests for .* is used up"):
        estimates_gap_fill(source=source, credentials=credentials, start=START, end=END)

    assert request_quota_used() == 1
    assert estimates() == []


def test_days_a_bill_covers_are_never_estimated(aws: Any, linked: Any) -> None:
    source, credentials = linked
    aws.seed_cost_explorer(PAGES)
    DailyCostRollup.objects.create(
        day=date(2026, 10, 2),
        source=source,
        billing_period=date(2026, 10, 1),
        billing_account_id=CUSTOMER_ACCOUNT,
        service_name="Amazon EC2",
        charge_category="Usage",
        currency="USD",
        billed_cost=Decimal("11.00"),
    )

    result = estimates_gap_fill(source=source, credentials=credentials, start=START, end=END)

    assert result.skipped_days == 1
    assert [r.day for r in estimates()] == [date(2026, 10, 1), date(2026, 10, 3)]
