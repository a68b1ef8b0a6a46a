"""The reconciliation page: a billing period's billed total per charge category (credits, refunds,
tax, RI/Savings Plan fees) per currency equals DuckDB's sums over the bill files to the cent,
names the delivery it came from, and strangers get 404."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from html import unescape
from typing import Any

import duckdb
import pytest
from django.core.management import call_command
from django.db import connection

from costs.demo.generator import cur_generate
from costs.selectors import cost_totals, money_format

START = datetime.date(2025, 1, 1)
# How an invoice groups AWS line item types (written here from AWS's documentation, not the app's mapping).
INVOICE_CATEGORY = {
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage",
    "RIFee": "Purchase",
    "Fee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Refund",
}


@pytest.fixture(scope="module")
def bills(tmp_path_factory: Any) -> Any:
    out = tmp_path_factory.mktemp("cur")
    return cur_generate(out=out, format="cur2", months=2, rows=3000, seed=1, start=START)  # seed 1 has RI and SP fees


def ingest(world: Any, bills: Any) -> None:
    for period in bills.periods:
        paths = [str(f) for f in period.files]
        call_command("ingest_file", "--org", world.organization.slug, *paths, stdout=io.StringIO())


def duck_categories(bills: Any, period: datetime.date) -> dict[tuple[str, str], Decimal]:
    files = ", ".join(f"'{f}'" for p in bills.periods for f in p.files)
    rows = (
        duckdb.connect()
        .execute(
            f"""SELECT line_item_currency_code, line_item_line_item_type,
                       SUM(CAST(line_item_unblended_cost AS DECIMAL(38,12)))
                FROM read_parquet([{files}]) WHERE CAST(bill_billing_period_start_date AS DATE) = ? GROUP BY 1, 2""",
            [period],
        )
        .fetchall()
    )
    out: dict[tuple[str, str], Decimal] = {}
    for currency, kind, total in rows:
        key = (currency, INVOICE_CATEGORY[kind])
        out[key] = out.get(key, Decimal(0)) + Decimal(total)
    return out


def duck_kinds(bills: Any, period: datetime.date) -> list[str]:
    files = ", ".join(f"'{f}'" for p in bills.periods for f in p.files)
    sql = f"""SELECT DISTINCT line_item_line_item_type FROM read_parquet([{files}])
               WHERE CAST(bill_billing_period_start_date AS DATE) = ?"""
    return [row[0] for row in duckdb.connect().execute(sql, [period]).fetchall()]


def test_each_charge_category_equals_duckdb_over_the_bill_files(org_a: Any, client_for: Any, bills: Any) -> None:
    ingest(org_a, bills)
    client = client_for(org_a.viewer, org_a)
    for period in (datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)):
        response = client.get(f"/costs/reconciliation/?period={period:%Y-%m}")
        assert response.status_code == 200
        expected = duck_categories(bills, period)
        (source,) = response.context["sources"]
        got = {(source["source"].currency, c.category): c.amount for c in source["source"].categories}
        assert {k: v.quantize(Decimal("0.01")) for k, v in got.items()} == {
            k: v.quantize(Decimal("0.01")) for k, v in expected.items()
        }
        assert {"Usage", "Purchase", "Tax", "Credit"} <= {c for _cur, c in got}
        text = unescape(response.content.decode())
        for (currency, category), amount in expected.items():
            assert f'data-category="{category}"' in text
            assert money_format(amount, currency) in text
        total = sum(expected.values(), Decimal(0))
        assert money_format(total, "USD") in text
        named = {kind for c in source["categories"] for kind, _amount in c["kinds"]}
        assert named == set(duck_kinds(bills, period)) and {"RIFee", "SavingsPlanRecurringFee"} <= named
        # The invoice total is the daily rollups' total for the period (the same lines, another table).
        connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
        (overall,) = [r for r in cost_totals(period=f"{period:%Y-%m}") if r["charge_category"] == "All"]
        assert overall["billed_cost"].quantize(Decimal("0.01")) == total.quantize(Decimal("0.01"))
    # February carries the refund, a credit of its own line on the invoice.
    assert duck_categories(bills, datetime.date(2025, 2, 1))[("USD", "Refund")] < 0
    assert 'data-category="Refund"' in response.content.decode()


def test_the_page_names_the_delivery_and_links_its_job(org_a: Any, client_for: Any, bills: Any) -> None:
    ingest(org_a, bills)
    response = client_for(org_a.viewer, org_a).get("/costs/reconciliation/?period=2025-02")
    (source,) = response.context["sources"]
    delivery = source["source"].delivery
    assert delivery is not None and delivery.job_id is not None
    assert f'href="/cloud-accounts/jobs/{delivery.job_id}/"' in response.content.decode()
    assert delivery.delivery_key in response.content.decode()
    # Without a period the page shows the newest delivered one.
    assert client_for(org_a.viewer, org_a).get("/costs/reconciliation/").context["period"] == datetime.date(2025, 2, 1)


def test_a_period_without_a_bill_says_what_to_do_and_a_bad_one_is_a_400(org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.viewer, org_a)
    response = client.get("/costs/reconciliation/?period=2024-07")
    assert response.status_code == 200
    assert b"No bill for July 2024" in response.content and b"Upload a cost report" in response.content
    bad = client.get("/costs/reconciliation/?period=July")
    assert bad.status_code == 400 and b"<code>period</code>" in bad.content


def test_another_organizations_user_gets_404_on_reconciliation(
    org_a: Any, org_b: Any, client_for: Any, bills: Any
) -> None:
    ingest(org_a, bills)
    response = client_for(org_b.owner, org_a).get("/costs/reconciliation/?period=2025-02")
    assert response.status_code == 404
    assert b"RIFee" not in response.content


def test_home_and_explorer_link_to_reconciliation(org_a: Any, client_for: Any, bills: Any) -> None:
    ingest(org_a, bills)
    client = client_for(org_a.viewer, org_a)
    assert b'href="/costs/reconciliation/"' in client.get("/").content
    assert b'href="/costs/reconciliation/"' in client.get("/costs/").content
