"""The explorer's summary tables equal plain SQL over the line items, exactly, whatever the bill.

The summaries are added up in Arrow during ingest (costs.ingest.summaries); here each table is
checked against a GROUP BY written independently over costs_costlineitem, on real third-party
bills (FOCUS sample with several providers and JSON tags, a legacy CUR with tax lines, the AWS
workshop CUR with RI fees and tag columns) and a generated CUR 2.0 month with credits, refunds,
Savings Plans and MAP tags. Rebuilding from stored line items gives the same rows.
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
from costs.ingest.summaries_rebuild import summaries_rebuild, summaries_rebuild_all
from costs.models import CostSource
from costs.tests.test_ingest_support import FOCUS_SAMPLE, FOCUS_SMALL, LEGACY_CSV, LEGACY_PARQUET, as_file, enter, write
from costs.vocabulary import BASES

pytestmark = pytest.mark.django_db

_SUMS = ", ".join(f"CASE WHEN COUNT({b}) = COUNT(*) THEN SUM({b}) END" for b in BASES)
_DIMS = """billing_account_id, COALESCE(sub_account_id, ''), COALESCE(provider_name, ''),
    COALESCE(service_category, ''), COALESCE(service_name, '')"""
_USAGE_TYPE = "COALESCE(NULLIF(x_usage_type, ''), sku_id, '')"
_DAY = "(charge_period_start AT TIME ZONE 'UTC')::date"

EXPECTED = {
    "costs_dailyusagecost": f"""
        SELECT {_DAY}, source_id, billing_period, {_DIMS}, COALESCE(region_id, ''), charge_category, billing_currency,
               {_USAGE_TYPE}, COALESCE(pricing_unit, ''), {_SUMS}, SUM(pricing_quantity), COUNT(*)
        FROM costs_costlineitem GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13""",
    "costs_dailytagcost": f"""
        SELECT {_DAY}, source_id, billing_period, {_DIMS}, charge_category, billing_currency, t.key,
               COALESCE(t.value, ''), {_SUMS}, COUNT(*)
        FROM costs_costlineitem, jsonb_each_text(tags) AS t GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12""",
    "costs_monthlyresourcecost": f"""
        SELECT date_trunc('month', charge_period_start AT TIME ZONE 'UTC')::date, source_id, billing_period, {_DIMS},
               COALESCE(region_id, ''), charge_category, COALESCE(x_line_item_type, ''), billing_currency,
               {_USAGE_TYPE}, COALESCE(pricing_unit, ''), COALESCE(resource_id, ''), tags,
               {_SUMS}, SUM(pricing_quantity), COUNT(*), MIN({_DAY}), MAX({_DAY})
        FROM costs_costlineitem GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16""",
}
STORED = {
    "costs_dailyusagecost": f"""SELECT day, source_id, billing_period, billing_account_id, sub_account_id, provider_name,
        service_category, service_name, region, charge_category, currency, usage_type, pricing_unit,
        {", ".join(BASES)}, pricing_quantity, row_count FROM costs_dailyusagecost""",
    "costs_dailytagcost": f"""SELECT day, source_id, billing_period, billing_account_id, sub_account_id, provider_name,
        service_category, service_name, charge_category, currency, tag_key, tag_value, {", ".join(BASES)}, row_count
        FROM costs_dailytagcost""",
    "costs_monthlyresourcecost": f"""SELECT month, source_id, billing_period, billing_account_id, sub_account_id,
        provider_name, service_category, service_name, region, charge_category, line_item_type, currency, usage_type,
        pricing_unit, resource_id, tags, {", ".join(BASES)}, pricing_quantity, row_count, first_day, last_day
        FROM costs_monthlyresourcecost""",
}


# The daily services follow the rollups' rule for an absent basis: NULL where no line of the
# export (source and billing period) carries it, otherwise the sum with missing values as 0.
_CARRIED = ", ".join(f"COUNT({b}) > 0 AS has_{b}" for b in BASES)
_SERVICE_SUMS = ", ".join(f"CASE WHEN e.has_{b} THEN COALESCE(SUM(l.{b}), 0) END" for b in BASES)
DAILY_SERVICES_EXPECTED = f"""
    SELECT (l.charge_period_start AT TIME ZONE 'UTC')::date, l.source_id, l.billing_period, l.billing_account_id,
           COALESCE(l.service_name, ''), l.charge_category, l.billing_currency, {_SERVICE_SUMS}, COUNT(*)
    FROM costs_costlineitem l
    JOIN (SELECT source_id, billing_period, {_CARRIED} FROM costs_costlineitem GROUP BY 1, 2) e
      USING (source_id, billing_period)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, {", ".join(f"e.has_{b}" for b in BASES)}"""
DAILY_SERVICES_STORED = f"""SELECT day, source_id, billing_period, billing_account_id, service_name, charge_category,
    currency, {", ".join(BASES)}, row_count FROM costs_dailyservicecost"""


def _rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL timezone = 'UTC'")
        cursor.execute(sql)
        rows = cursor.fetchall()
    # Decimals compare by value (NUMERIC sums and stored NUMERIC(28,12) differ only in scale).
    return sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize() if value else Decimal(0)
    if isinstance(value, dict):
        return repr(sorted(value.items()))
    return value


def assert_summaries_match_line_items() -> None:
    for table, expected in EXPECTED.items():
        stored, wanted = _rows(STORED[table]), _rows(expected)
        assert stored == wanted, f"{table}: {len(stored)} stored rows differ from {len(wanted)} expected"
    stored, wanted = _rows(DAILY_SERVICES_STORED), _rows(DAILY_SERVICES_EXPECTED)
    assert stored and stored == wanted, f"daily services: {len(stored)} stored rows differ from {len(wanted)} expected"


@pytest.fixture
def source(org_a: Any) -> CostSource:
    enter(org_a)
    return CostSource.objects.uploads()


def test_summaries_of_real_third_party_bills_equal_sql_over_their_line_items(source: CostSource) -> None:
    for path in (FOCUS_SAMPLE, LEGACY_CSV, LEGACY_PARQUET, FOCUS_SMALL):
        delivery_ingest(source=source, files=[as_file(path)])
    assert_summaries_match_line_items()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT tag_key), COUNT(*) FROM costs_dailytagcost")
        keys, rows = cursor.fetchone()
        cursor.execute("SELECT COUNT(DISTINCT provider_name) FROM costs_dailyusagecost")
        (providers,) = cursor.fetchone()
    assert keys >= 3 and rows > 100  # the FOCUS sample's JSON tags and the workshop CUR's tag columns
    assert providers == 3  # AWS, Microsoft, Oracle in the FOCUS sample


def test_summaries_of_a_generated_cur2_month_equal_sql_and_survive_a_redelivery(
    source: CostSource, tmp_path: Path
) -> None:
    generated = cur_generate(out=tmp_path, months=1, rows=6_000, start=datetime.date(2025, 3, 1))
    path = generated.periods[0].files[0]
    delivery_ingest(source=source, files=[as_file(path)])
    assert_summaries_match_line_items()
    # The same period delivered again replaces its summaries, it does not add to them.
    delivery_ingest(source=source, files=[as_file(path, name="again.snappy.parquet")])
    assert_summaries_match_line_items()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(billed_cost) FROM costs_monthlyresourcecost WHERE line_item_type = 'SavingsPlanNegation'"
        )
        assert cursor.fetchone()[0] < 0


def test_a_basis_some_lines_lack_is_null_in_the_summaries_not_a_partial_sum(source: CostSource, tmp_path: Path) -> None:
    header = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost,Tags\n"
    common = "111122223333,USD,2025-03-01T00:00:00Z,2025-03-05T00:00:00Z,Usage,Amazon S3"
    path = write(
        tmp_path / "partial.csv",
        header + f'{common},1.50,1.25,"{{""team"": ""web""}}"\n' + f'{common},2.00,,"{{""team"": ""web""}}"\n',
    )
    delivery_ingest(source=source, files=[as_file(path)])
    assert_summaries_match_line_items()
    with connection.cursor() as cursor:
        cursor.execute("SELECT billed_cost, effective_cost FROM costs_dailytagcost")
        assert cursor.fetchall() == [(Decimal("3.5"), None)]


def test_rebuilding_from_stored_line_items_gives_the_same_summaries(source: CostSource) -> None:
    delivery_ingest(source=source, files=[as_file(FOCUS_SAMPLE)])
    delivery_ingest(source=source, files=[as_file(LEGACY_CSV)])
    before = {table: _rows(sql) for table, sql in STORED.items()}
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute("SET LOCAL timezone = 'UTC'")
        cursor.execute("DELETE FROM costs_dailytagcost")
        summaries_rebuild(cursor, source_id=source.pk, periods=[datetime.date(2024, 9, 1)])
        cursor.execute("SELECT COUNT(DISTINCT billing_period) FROM costs_costlineitem")
        periods = cursor.fetchone()[0]
        assert summaries_rebuild_all(cursor) == periods >= 2
    assert {table: _rows(sql) for table, sql in STORED.items()} == before


def test_the_period_group_bys_run_with_ingest_work_mem(source: CostSource, settings: Any) -> None:
    """A month's rollup and summary GROUP BYs spill to disk at PostgreSQL's default 4 MB; the
    delivery's transaction raises work_mem (SET LOCAL: the test's transaction is the delivery's here)."""
    settings.INGEST_WORK_MEM = "77MB"
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "77MB"
    assert_summaries_match_line_items()
