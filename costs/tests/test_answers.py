"""Cached answers about the bill: reused until the bill changes, then computed again; never
another organization's; and the API summary, which reads through them, follows every change."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client

from costs.answers import bill_answer, bill_changed
from costs.ingest.delivery import delivery_ingest
from costs.models import CostSource
from costs.tests.test_ingest_support import as_file
from finops.db import use_public_schema
from tenants.models import ApiKeyScope
from tenants.services.api_keys import api_key_create

HEADER = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost\n"


def focus_bill(folder: Path, name: str, *lines: tuple[str, str]) -> Path:
    """A FOCUS file of usage lines (charge day, billed cost) in USD."""
    path = folder / name
    body = "".join(
        f"111122223333,USD,{day[:8]}01T00:00:00Z,{day}T00:00:00Z,Usage,Amazon Simple Storage Service,{cost},{cost}\n"
        for day, cost in lines
    )
    path.write_text(HEADER + body)
    return path


def billed(world: Any, secret: str) -> list[Decimal]:
    """The API summary's billed cost per currency, March and April 2025."""
    client = Client(HTTP_HOST=world.host, HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/costs/summary?start=2025-03-01&end=2025-04-30")
    assert response.status_code == 200, response.content
    return [Decimal(row["billed_cost"]) for row in response.json()["currencies"]]


def read_key(world: Any) -> str:
    use_public_schema()
    return api_key_create(organization=world.organization, name="r", scope=ApiKeyScope.READ, created_by=None).secret


def test_an_answer_is_computed_once_until_the_bill_changes(org_a: Any) -> None:
    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert [bill_answer(name="n", params="p", compute=compute) for _ in range(3)] == [1, 1, 1]
    assert bill_answer(name="n", params="other", compute=compute) == 2  # other parameters, other answer
    bill_changed()
    assert bill_answer(name="n", params="p", compute=compute) == 3
    assert bill_answer(name="n", params="p", compute=compute) == 3


def test_organizations_never_share_an_answer(org_a: Any, org_b: Any) -> None:
    for world in (org_a, org_b):
        connection.set_tenant(world.organization)  # type: ignore[attr-defined]
        slug: str = world.organization.slug
        assert bill_answer(name="n", params="p", compute=lambda: slug) == slug


def test_the_api_summary_follows_each_ingestion_and_a_deleted_source(org_a: Any, org_b: Any, tmp_path: Path) -> None:
    secret = read_key(org_a)
    assert billed(org_a, secret) == []

    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(focus_bill(tmp_path, "march.csv", ("2025-03-02", "10.00")))])
    assert billed(org_a, secret) == [Decimal("10.00")]
    assert billed(org_a, secret) == [Decimal("10.00")]  # from the cache

    # A second period, then March replaced by a corrected file: each shows at once.
    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    delivery_ingest(source=source, files=[as_file(focus_bill(tmp_path, "april.csv", ("2025-04-02", "5.25")))])
    assert billed(org_a, secret) == [Decimal("15.25")]
    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    corrected = focus_bill(tmp_path, "march2.csv", ("2025-03-02", "10.00"), ("2025-03-03", "1.00"))
    delivery_ingest(source=source, files=[as_file(corrected)])
    assert billed(org_a, secret) == [Decimal("16.25")]

    # The other organization's summary over the same range is its own (nothing).
    assert billed(org_b, read_key(org_b)) == []

    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    source.delete()
    assert billed(org_a, secret) == []
