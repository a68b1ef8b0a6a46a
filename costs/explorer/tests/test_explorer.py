"""The cost explorer page, its CSV and the drill-down: figures equal the raw bill, bad links get a
clear 400, strangers get 404, and query counts stay bounded."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

FIXTURES = Path(settings.BASE_DIR) / "costs" / "tests" / "fixtures"
FOCUS_SMALL = FIXTURES / "focus_small.csv"
RANGE = "start=2025-02-01&end=2025-03-31&granularity=month"
HOSTILE = (
    "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost,Tags\n"
    '111122223333,USD,2025-03-01T00:00:00Z,2025-03-04T00:00:00Z,Usage,Amazon S3,2.50,2.50,"{""team"": ""=HYPERLINK(\\""http://x\\"")""}"\n'
    '111122223333,USD,2025-03-01T00:00:00Z,2025-03-04T00:00:00Z,Credit,Amazon S3,-12.50,-12.50,"{""team"": ""-web""}"\n'
)


def ingest(world: Any, *paths: Path) -> None:
    # Through the operators' command: this app never touches costs.models (an import contract).
    for path in paths:
        call_command("ingest_file", "--org", world.organization.slug, str(path), stdout=io.StringIO())


def duck(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def raw_total(column: str) -> Decimal:
    (total,) = duck(f"SELECT SUM(CAST({column} AS DECIMAL(38,12))) FROM read_csv('{FOCUS_SMALL}', all_varchar=true)")[0]
    return Decimal(total)


@pytest.mark.parametrize(
    ("basis", "column"), [("billed_cost", "BilledCost"), ("effective_cost", "EffectiveCost"), ("list_cost", "ListCost")]
)
def test_the_explorer_total_for_each_basis_equals_duckdb_over_the_raw_file(
    org_a: Any, client_for: Any, basis: str, column: str, django_assert_max_num_queries: Any
) -> None:
    ingest(org_a, FOCUS_SMALL)
    client = client_for(org_a.viewer, org_a)
    with django_assert_max_num_queries(12):
        response = client.get(f"/costs/?{RANGE}&group_by=service_name&basis={basis}")
    assert response.status_code == 200
    breakdown = response.context["breakdown"]
    assert breakdown.totals["USD"] == raw_total(column)
    expected = f"${raw_total(column).quantize(Decimal('0.01')):,}"
    assert f'data-currency="USD">{expected}<'.encode() in response.content
    label = {"billed_cost": "Billed", "effective_cost": "Effective (amortized)", "list_cost": "List"}[basis]
    assert f"Showing <strong>{label}</strong> cost".encode() in response.content


def test_a_basis_the_bill_lacks_reads_not_in_this_export(org_a: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SMALL)
    response = client_for(org_a.owner, org_a).get(f"/costs/?{RANGE}&basis=net_unblended_cost")
    assert response.status_code == 200
    if response.context["breakdown"].totals["USD"] is None:
        assert b"not in this export" in response.content
    else:  # until absent bases are stored as NULL, the bill's own zeros show as zero
        assert response.context["breakdown"].totals["USD"] == Decimal(0)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ("group_by=colour", "group_by"),
        ("start=2025-13-01&end=2025-03-01", "start"),
        ("start=2025-03-01&end=2025-02-01", "end"),
        ("start=2015-01-01&end=2025-03-01", "end"),
        ("range=forever", "range"),
        ("basis=cheapest", "basis"),
        ("granularity=hour", "granularity"),
        ("include.planet=mars", "include.planet"),
        ("colour=red", "colour"),
        ("start=2025-01-01&end=2025-12-31&granularity=day&group_by=tag:", "group_by"),
    ],
)
def test_a_wrong_parameter_gets_a_400_that_names_it(org_a: Any, client_for: Any, params: str, named: str) -> None:
    response = client_for(org_a.viewer, org_a).get(f"/costs/?{params}")
    assert response.status_code == 400
    assert f"<code>{named}</code>".encode() in response.content
    assert client_for(org_a.viewer, org_a).get(f"/costs/line-items/?{params}").status_code == 400


def test_a_bad_cursor_or_order_on_the_drilldown_is_a_400(org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.viewer, org_a)
    assert b"<code>cursor</code>" in client.get(f"/costs/line-items/?{RANGE}&cursor=%%%").content
    assert client.get(f"/costs/line-items/?{RANGE}&order=random").status_code == 400


def test_strangers_get_404_on_every_explorer_page(org_a: Any, org_b: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SMALL)
    stranger = client_for(org_b.owner, org_a)
    for path in ("/costs/", f"/costs/?{RANGE}", f"/costs/export.csv?{RANGE}", f"/costs/line-items/?{RANGE}"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert b"Amazon" not in response.content


def test_the_drilldown_pages_through_every_line_once_most_expensive_first(
    org_a: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    ingest(org_a, FOCUS_SMALL)
    client = client_for(org_a.viewer, org_a)
    from costs.selectors import cost_line_items, cost_query_parse

    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    query = cost_query_parse(
        {"start": ["2025-02-01"], "end": ["2025-03-31"]}, today=__import__("datetime").date(2025, 4, 1)
    )
    seen: list[Decimal] = []
    cursor = None
    while True:
        page = cost_line_items(query=query, cursor=cursor, page_size=2)
        seen += [item.cost for item in page.items if item.cost is not None]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert sum(seen) == raw_total("BilledCost")
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with django_assert_max_num_queries(8):
        response = client.get(f"/costs/line-items/?{RANGE}&include.service_name=Amazon%20Elastic%20Compute%20Cloud")
    assert response.status_code == 200
    text = response.content.decode()
    assert "i-0001" in text and "bucket-a" not in text
    assert "Hours" in text  # the unit beside the quantity


def test_the_csv_keeps_amounts_numeric_and_defuses_formulas(org_a: Any, client_for: Any, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(HOSTILE)
    ingest(org_a, hostile)
    response = client_for(org_a.viewer, org_a).get(f"/costs/export.csv?{RANGE}&group_by=tag:team")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="costs_20250201-20250331_by_tag-team_billed_cost.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_label = {row[0]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in by_label
    assert "'-web" in by_label
    assert by_label["'-web"][-1] == "-12.500000000000"  # a negative amount stays a number
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_cell_links_are_the_drilldown_links_of_the_narrowed_question(db: Any) -> None:
    import datetime

    from costs.explorer.selectors import RangeLinks, drilldown_url, range_params
    from costs.selectors import CostQuery, DimensionFilter, Granularity, Preset

    questions = [
        CostQuery(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31), granularity=Granularity.WEEK),
        CostQuery(
            start=datetime.date(2025, 1, 1),
            end=datetime.date(2025, 1, 31),
            group_by="tag:team & co",
            filters=(
                DimensionFilter("service_name", ("Amazon S3", "")),
                DimensionFilter("tag:team & co", ("a=b",), exclude=True),
            ),
            basis="effective_cost",
            preset=Preset.LAST_30_DAYS,
        ),
    ]
    for query in questions:
        narrowed = query.with_filter("sub_account_id", "111122223333")
        links = RangeLinks(narrowed)
        for start, end in [(query.start, query.start), (query.start, query.end)]:
            assert links.with_range(range_params(start, end)) == drilldown_url(narrowed.with_range(start, end))
