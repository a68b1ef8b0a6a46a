"""The home dashboard: every figure equals DuckDB's sum over the bill file to the cent, per currency,
each links into the explorer (which shows the same figure), a bounded number of queries, and
strangers get 404."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from costs.explorer.tests.bills import LAMBDA, RDS, Duck, ingest, write_bill
from costs.selectors import money_format, month_end_forecast

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def billed(org_a: Any, tmp_path: Path) -> tuple[Any, Duck, datetime.date]:
    today = timezone.now().date()
    path = write_bill(tmp_path / "bill.csv", today=today)
    ingest(org_a.organization.slug, path)
    return org_a, Duck(path), today


def home(world: Any, client_for: Any, query: str = "") -> Any:
    response = client_for(world.viewer, world).get(f"/{query}")
    assert response.status_code == 200
    return response


def test_month_to_date_last_month_and_forecast_equal_duckdb_per_currency(billed: Any, client_for: Any) -> None:
    world, duck, today = billed
    response = home(world, client_for)
    dashboard = response.context["dashboard"]
    w = dashboard.windows
    mtd = duck.per_currency(w.month_to_date.start, w.month_to_date.end)
    same = duck.per_currency(w.same_days_last_month.start, w.same_days_last_month.end)
    last = duck.per_currency(w.last_month.start, w.last_month.end)
    assert {c.currency for c in dashboard.month_to_date} == {"USD", "EUR"}
    for change in dashboard.month_to_date:
        assert cents(change.current) == cents(mtd.get(change.currency, Decimal(0)))
        assert cents(change.previous) == cents(same[change.currency])
        assert cents(change.change) == cents(mtd.get(change.currency, Decimal(0)) - same[change.currency])
    assert {t.currency: cents(t.amount) for t in dashboard.last_month} == {c: cents(a) for c, a in last.items()}
    for forecast in dashboard.forecasts:
        assert cents(forecast.actual_to_date) == cents(mtd[forecast.currency])
        assert forecast.low <= forecast.forecast <= forecast.high
    # The same forecast the monitors and budgets compute (read here with the page's other figures).
    connection.set_tenant(world.organization)  # type: ignore[attr-defined]
    assert dashboard.forecasts == tuple(month_end_forecast(today=today))
    text = unescape(response.content.decode())
    for currency, amount in last.items():
        assert money_format(amount, currency) in text  # never one figure summed across currencies
    assert money_format(last["USD"] + last["EUR"], "USD") not in text


def test_the_90_day_chart_by_service_equals_duckdb_day_by_day(billed: Any, client_for: Any) -> None:
    world, duck, _today = billed
    dashboard = home(world, client_for).context["dashboard"]
    window = dashboard.windows.last_90_days
    expected = {
        (day, service, currency): Decimal(total)
        for day, service, currency, total in duck.rows(
            "SELECT day, ServiceName, BillingCurrency, SUM(billed) FROM bill WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3",
            window.start,
            window.end,
        )
    }
    assert {s.currency for s in dashboard.chart} == {"USD", "EUR"}
    for stack in dashboard.chart:
        assert len(stack.days) == 90 and stack.days[-1] == window.end
        for service, amounts in stack.series:
            assert service is not None  # six services or fewer: none folded into "Other"
            for day, amount in zip(stack.days, amounts, strict=True):
                assert cents(amount) == cents(expected.get((day, service, stack.currency), Decimal(0)))


def test_top_services_accounts_and_movers_equal_duckdb(billed: Any, client_for: Any) -> None:
    world, duck, _today = billed
    response = home(world, client_for)
    dashboard = response.context["dashboard"]
    w = dashboard.windows
    services = duck.per("ServiceName", w.last_30_days.start, w.last_30_days.end)
    accounts = duck.per("SubAccountId", w.last_30_days.start, w.last_30_days.end)
    assert [(s.key, s.currency, cents(s.amount)) for s in dashboard.services] == [
        (k, c, cents(a)) for (k, c), a in sorted(services.items(), key=lambda i: (i[0][1], -i[1], i[0][0]))
    ][: len(dashboard.services)]
    assert {(a.key, a.currency): cents(a.amount) for a in dashboard.accounts} == {
        k: cents(a) for k, a in accounts.items()
    }
    assert "acme-prod (444455556666)" in response.content.decode()

    now = duck.per("ServiceName", w.this_week.start, w.this_week.end)
    before = duck.per("ServiceName", w.week_before.start, w.week_before.end)
    (up,) = [m for m in dashboard.increases if m.service == LAMBDA]
    assert cents(up.this_week) == cents(now[(LAMBDA, "USD")])
    assert cents(up.week_before) == cents(before[(LAMBDA, "USD")])
    assert dashboard.decreases[0].service == RDS
    assert cents(dashboard.decreases[0].change) == cents(now[(RDS, "USD")] - before[(RDS, "USD")])
    assert money_format(dashboard.decreases[0].change, "USD") in unescape(response.content.decode())


def test_the_untagged_share_for_the_chosen_tag_key_equals_duckdb(billed: Any, client_for: Any) -> None:
    world, duck, _today = billed
    for key in ("team", "env"):
        response = home(world, client_for, f"?tag_key={key}")
        dashboard = response.context["dashboard"]
        w = dashboard.windows.last_30_days
        total = duck.per_currency(w.start, w.end)
        untagged = duck.per_currency(w.start, w.end, f"json_extract_string(Tags, '$.{key}') IS NULL")
        assert {s.currency: (cents(s.total), cents(s.untagged)) for s in dashboard.untagged} == {
            c: (cents(total[c]), cents(untagged.get(c, Decimal(0)))) for c in total
        }
        assert response.context["tag_key"] == key
        assert f"group_by=tag%3A{key}" in response.content.decode()


def test_a_tag_key_that_is_not_one_gets_a_400_naming_it(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.viewer, org_a).get("/?tag_key=a%0Ab")
    assert response.status_code == 400
    assert b"<code>tag_key</code>" in response.content


def test_each_figure_links_to_an_explorer_view_showing_the_same_total(billed: Any, client_for: Any) -> None:
    world, _duck, _today = billed
    client = client_for(world.viewer, world)
    response = home(world, client_for)
    text = response.content.decode()
    links = {unescape(href) for href in re.findall(r'href="(/costs/[^"]*)"', text)}
    assert len(links) > 10
    for link in links:
        assert client.get(link).status_code == 200, link
    for chart in response.context["charts"]:
        data = chart["data"]
        for dataset in data["datasets"]:
            link = dataset["link_template"].replace("{day}", data["days"][-1])
            drill = client.get(link)
            assert drill.status_code == 200, link
            assert (drill.context["query"].start, drill.context["query"].end) == (
                _today - datetime.timedelta(days=1),
            ) * 2
            assert drill.context["query"].filters[0].values == (dataset["label"],)
    last_month = response.context["cards"][[c["id"] for c in response.context["cards"]].index("last-month-USD")]
    explorer = client.get(last_month["url"])
    assert explorer.context["breakdown"].totals["USD"] is not None
    assert money_format(explorer.context["breakdown"].totals["USD"], "USD") == last_month["value"]


def test_the_home_page_reads_summaries_in_a_bounded_number_of_queries(
    billed: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    world, _duck, _today = billed
    client = client_for(world.viewer, world)
    # 11 for the dashboard, the rest are the session, membership, organization switcher and the
    # panels other apps register; none grows with the number of days, services or accounts.
    with django_assert_max_num_queries(22) as captured:
        client.get("/")
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "costs_costlineitem" not in sql and "costs_monthlyresourcecost" not in sql


def test_freshness_names_the_last_successful_ingestion_and_the_last_billed_day(billed: Any, client_for: Any) -> None:
    world, _duck, today = billed
    response = home(world, client_for)
    freshness = response.context["freshness"]
    assert freshness.bill_through == today - datetime.timedelta(days=1)
    assert freshness.last_job_id is not None
    assert f"/cloud-accounts/jobs/{freshness.last_job_id}/" in response.content.decode()
    assert response.context["dashboard"].estimate_days is None


def test_another_organizations_user_gets_404_on_home(billed: Any, org_b: Any, client_for: Any) -> None:
    world, _duck, _today = billed
    for query in ("", "?tag_key=team"):
        response = client_for(org_b.owner, world).get(f"/{query}")
        assert response.status_code == 404
        assert b"Top services" not in response.content
