"""Breakdowns: every table the planner may choose gives the figures of a plain sum over the raw bill.

The bill is a generated CUR 2.0 quarter (credits, refunds, tax, RI fees, Savings Plans, MAP tags)
plus the FOCUS sample; totals per basis are checked against DuckDB reading the raw files (no app
code), and each question is asked of its summary and of the line items.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from costs.demo.generator import cur_generate
from costs.ingest.delivery import delivery_ingest
from costs.models import CostSource
from costs.selectors.breakdown import cost_breakdown
from costs.selectors.query import CostQuery, DimensionFilter, Granularity
from costs.selectors.summary_tables import LINES, RESOURCES, ROLLUP, SERVICES, TAGS, USAGE, plan
from costs.tests.test_ingest_support import ATHENA, FOCUS_SAMPLE, as_file, cur_effective_sql, raw

START = datetime.date(2025, 1, 1)
EURO_BILL = (
    "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost,Tags\n"
    '999900001111,EUR,2025-02-01T00:00:00Z,2025-02-03T00:00:00Z,Usage,Amazon Elastic Compute Cloud,40.00,40.00,"{""team"": ""web""}"\n'
    "999900001111,EUR,2025-02-01T00:00:00Z,2025-02-01T00:00:00Z,Tax,Amazon Elastic Compute Cloud,8.40,8.40,\n"
)
END = datetime.date(2025, 3, 31)


@pytest.fixture(scope="module")
def bill(shared_worlds: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Any:
    world = shared_worlds[0]
    folder = tmp_path_factory.mktemp("bill")
    generated = cur_generate(out=folder, months=3, rows=9_000, start=START)
    with django_db_blocker.unblock():
        connection.set_tenant(world.organization)  # type: ignore[attr-defined]
        source = CostSource.objects.uploads()
        for period in generated.periods:
            delivery_ingest(source=source, files=[as_file(period.files[0])])
        delivery_ingest(source=source, files=[as_file(FOCUS_SAMPLE)])
        euro = folder / "euro.csv"
        euro.write_text(EURO_BILL)
        delivery_ingest(source=CostSource.objects.create(name="EU", kind="upload"), files=[as_file(euro)])
    return world, [p.files[0] for p in generated.periods]


@pytest.fixture
def enter_bill(bill: Any, db: Any) -> Any:
    world, files = bill
    connection.set_tenant(world.organization)  # type: ignore[attr-defined]
    return files


def q(**kwargs: Any) -> CostQuery:
    defaults: dict[str, Any] = {"start": START, "end": END, "granularity": Granularity.MONTH}
    return CostQuery(**(defaults | kwargs))


def rounded(amount: Decimal | None, places: str = "0.01") -> Decimal:
    assert amount is not None, "a basis every line carries is never unknown"
    return amount.quantize(Decimal(places))


def parquet(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"


def test_totals_per_basis_equal_duckdb_over_the_raw_cur_files(enter_bill: list[Path]) -> None:
    relation = parquet(enter_bill)
    col: dict[str, str | None] = dict(ATHENA)
    billed, effective, listed = raw(
        f"""SELECT SUM(CAST(line_item_unblended_cost AS DECIMAL(38,12))), {cur_effective_sql(col)},
                   SUM(CAST(pricing_public_on_demand_cost AS DECIMAL(38,12)))
            FROM {relation}"""
    )[0]
    for basis, expected in (("billed_cost", billed), ("effective_cost", effective), ("unblended_cost", billed)):
        breakdown = cost_breakdown(query=q(basis=basis, group_by=None))
        assert breakdown.read_from == "daily services"
        assert rounded(breakdown.totals["USD"]) == rounded(Decimal(expected)), basis
    listed_total = cost_breakdown(query=q(basis="list_cost", group_by=None)).totals["USD"]
    assert rounded(listed_total) == rounded(Decimal(listed))


def test_group_by_tag_with_a_filter_equals_duckdb_over_the_raw_tags(enter_bill: list[Path]) -> None:
    relation = parquet(enter_bill)
    expected = dict(
        raw(
            f"""SELECT COALESCE(element_at(resource_tags, 'user_team')[1], ''), SUM(CAST(line_item_unblended_cost AS DECIMAL(38,12)))
                FROM {relation} WHERE line_item_product_code = 'AmazonEC2'
                  AND line_item_line_item_type NOT IN ('Tax', 'Credit', 'Refund') GROUP BY 1"""
        )
    )
    ec2 = DimensionFilter("service_name", ("Amazon Elastic Compute Cloud",))
    not_tax_or_credit = DimensionFilter("charge_category", ("Tax", "Credit"), exclude=True)
    query = q(group_by="tag:team", filters=(ec2, not_tax_or_credit))
    breakdown = cost_breakdown(query=query)
    assert breakdown.read_from == "daily tags"
    got = {row.group: row.total for row in breakdown.rows if row.currency == "USD"}
    assert set(got) == set(expected)
    for team, amount in expected.items():
        assert rounded(got[team], "0.000001") == rounded(Decimal(amount), "0.000001"), team


QUESTIONS = [
    ({"group_by": "service_name"}, SERVICES),
    ({"group_by": "charge_category", "filters": (DimensionFilter("service_name", ("Tax",), exclude=True),)}, SERVICES),
    (
        {"group_by": "service_name", "filters": (DimensionFilter("sub_account_id", ("111122223333",), exclude=True),)},
        ROLLUP,
    ),
    ({"group_by": "region", "granularity": Granularity.WEEK}, ROLLUP),
    ({"group_by": "usage_type", "filters": (DimensionFilter("region", ("us-east-1",)),)}, USAGE),
    ({"group_by": "service_category", "basis": "effective_cost"}, USAGE),
    ({"group_by": "provider_name"}, USAGE),
    ({"group_by": "tag:team"}, TAGS),
    (
        {"group_by": "tag:environment", "filters": (DimensionFilter("tag:environment", ("prod", ""), exclude=True),)},
        TAGS,
    ),
    ({"group_by": "service_name", "filters": (DimensionFilter("tag:team", ("data", "")),)}, TAGS),
    ({"group_by": "sub_account_id", "filters": (DimensionFilter("tag:team", ("web",), exclude=True),)}, TAGS),
    (
        {
            "group_by": "tag:team",
            "granularity": Granularity.DAY,
            "filters": (DimensionFilter("charge_category", ("Usage",)),),
        },
        TAGS,
    ),
    ({"group_by": "resource_id"}, RESOURCES),
    ({"group_by": "tag:team", "filters": (DimensionFilter("tag:environment", ("prod",)),)}, RESOURCES),
    ({"group_by": "resource_id", "granularity": Granularity.WEEK}, LINES),
    (
        {
            "group_by": "region",
            "filters": (DimensionFilter("tag:team", ("web",)), DimensionFilter("tag:environment", ("dev",))),
        },
        RESOURCES,
    ),
]


@pytest.mark.parametrize(("question", "table"), QUESTIONS)
def test_every_summary_answers_like_the_line_items(
    enter_bill: list[Path], question: dict[str, Any], table: Any
) -> None:
    query = q(**question)
    assert plan(query) is table
    fast = cost_breakdown(query=query, limit=1000)
    slow = cost_breakdown(query=query, limit=1000, read_from=LINES)
    assert fast.read_from == table.label
    assert fast.totals == slow.totals
    assert fast.bucket_totals == slow.bucket_totals
    assert {(r.group, r.currency): r.amounts for r in fast.rows} == {
        (r.group, r.currency): r.amounts for r in slow.rows
    }


def test_currencies_are_never_added_together_and_other_folds_the_smallest_groups(enter_bill: list[Path]) -> None:
    query = q(start=datetime.date(2024, 9, 1), end=END, group_by="resource_id", granularity=Granularity.MONTH)
    breakdown = cost_breakdown(query=query, limit=5)
    assert breakdown.currencies == ("EUR", "USD")
    assert breakdown.totals["EUR"] == Decimal("48.4")
    other = [r for r in breakdown.rows if r.group is None and r.currency == "USD"]
    assert other and other[0].folded > 0
    named = [r for r in breakdown.rows if r.group is not None and r.currency == "USD"]
    assert len(named) == 5
    assert sum(rounded(r.total, "1E-12") for r in breakdown.rows if r.currency == "USD") == breakdown.totals["USD"]


def _drilldown_ids(query: CostQuery, *, descending: bool) -> list[tuple[int, Decimal | None]]:
    from costs.selectors.lines import cost_line_items

    seen: list[tuple[int, Decimal | None]] = []
    cursor = None
    while True:
        page = cost_line_items(query=query, cursor=cursor, descending=descending, page_size=700)
        seen += [(item.id, item.cost) for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


@pytest.mark.parametrize(
    ("dimension", "column"),
    [("region", "region_id"), ("sub_account_id", "sub_account_id"), ("service_name", "service_name")],
)
def test_the_drilldown_keeps_exactly_the_lines_a_filter_names_and_sorts_missing_costs_last(
    enter_bill: list[Path], dimension: str, column: str
) -> None:
    """A filter on a bare column (for the planner's statistics) keeps the lines `COALESCE(column, '')` keeps."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM costs_costlineitem WHERE {column} <> '' GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
        )
        (common,) = cursor.fetchone()
    for values in [(common,), ("",), (common, "")]:
        for exclude in (False, True):
            query = q(filters=(DimensionFilter(dimension, values, exclude=exclude),), basis="list_cost")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, list_cost FROM costs_costlineitem WHERE charge_period_start >= %s "
                    f"AND charge_period_start < %s AND {'NOT' if exclude else ''} (COALESCE({column}, '') = ANY(%s))",
                    [START, END + datetime.timedelta(days=1), list(values)],
                )
                expected = dict(cursor.fetchall())
            assert expected or values == ("",), (values, exclude)  # every line here has a service
            for descending in (True, False):
                got = _drilldown_ids(query, descending=descending)
                assert dict(got) == expected, (values, exclude)
                costs = [cost for _id, cost in got]
                priced = [cost for cost in costs if cost is not None]
                assert costs == priced + [None] * (len(costs) - len(priced))  # missing costs last, either way
                assert priced == sorted(priced, reverse=descending)
