"""Totals in the database equal an independent sum over each raw bill, to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from costs.demo.generator import cur_generate
from costs.ingest.delivery import delivery_ingest
from costs.models import CostLineItem, CostSource, DailyCostRollup, Delivery, LinkedAccount
from costs.tests.test_ingest_support import (
    ATHENA,
    FOCUS_SAMPLE,
    FOCUS_SMALL,
    LEGACY,
    LEGACY_CSV,
    LEGACY_PARQUET,
    as_file,
    assert_close,
    db_totals,
    enter,
    line_count,
    raw,
    raw_cur_totals,
    write,
)

pytestmark = pytest.mark.django_db


def focus_raw_totals(path: Path) -> dict[tuple[str, str], dict[str, Decimal]]:
    rows = raw(
        f"""SELECT strftime(CAST(BillingPeriodStart[1:10] AS DATE), '%Y-%m'), BillingCurrency,
                   SUM(CAST(BilledCost AS DECIMAL(38,12))), SUM(CAST(EffectiveCost AS DECIMAL(38,12))),
                   SUM(CAST(ListCost AS DECIMAL(38,12))), SUM(CAST(ContractedCost AS DECIMAL(38,12))), COUNT(*)
            FROM read_csv('{path}', all_varchar = true, nullstr = 'NULL') GROUP BY 1, 2"""
    )
    return {
        (p, c): {"billed_cost": b, "effective_cost": e, "list_cost": lc, "contracted_cost": cc, "rows": n}
        for p, c, b, e, lc, cc, n in rows
    }


def assert_totals_match(expected: dict[tuple[str, str], dict[str, Decimal]]) -> None:
    actual = db_totals()
    assert set(actual) == set(expected)
    for key, bases in expected.items():
        for basis, value in bases.items():
            if basis == "rows":
                assert actual[key]["rows"] == value, key
            elif value is None:  # no row of the raw file has a value: not in this export, not 0
                assert actual[key][basis] is None, (key, basis, actual[key][basis])
            else:
                assert_close(actual[key][basis], value, f"{key} {basis}")


def test_focus_sample_totals_and_rows_equal_the_raw_file(org_a):
    enter(org_a)
    source = CostSource.objects.uploads()
    summary = delivery_ingest(source=source, files=[as_file(FOCUS_SAMPLE)])
    expected = focus_raw_totals(FOCUS_SAMPLE)
    assert summary.rows == 1000 == line_count()
    assert_totals_match(expected)
    # Providers from the same FOCUS file are kept apart as accounts.
    assert {a.provider for a in LinkedAccount.objects.all()} == {"AWS", "Microsoft", "Oracle"}


def test_legacy_cur_csv_totals_match_including_amortized(org_a):
    enter(org_a)
    summary = delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(LEGACY_CSV)])
    relation = f"read_csv('{LEGACY_CSV}', all_varchar = true)"
    assert summary.rows == 1281 == line_count()
    assert_totals_match(raw_cur_totals(relation, LEGACY))
    assert summary.billing_periods == ["2023-11"]
    assert CostLineItem.objects.filter(charge_category="Tax").exists()


def test_legacy_cur_parquet_with_reserved_instances_matches_aws_formulas(org_a):
    enter(org_a)
    summary = delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(LEGACY_PARQUET)])
    assert summary.rows == 119_307 == line_count()
    assert_totals_match(raw_cur_totals(f"read_parquet('{LEGACY_PARQUET}')", ATHENA))
    assert sorted(summary.new_accounts) == ["AWS:011254002932", "AWS:836060457634"]
    assert CostLineItem.objects.filter(x_line_item_type="DiscountedUsage", commitment_discount_status="Used").exists()
    tagged = CostLineItem.objects.filter(tags__has_key="environment").values_list("tags", flat=True).first()
    assert isinstance(tagged, dict) and tagged["environment"]


@pytest.fixture(scope="module")
def generated_cur2(tmp_path_factory):
    out = tmp_path_factory.mktemp("cur2")
    return cur_generate(out=out, format="cur2", months=2, seed=11, start=datetime.date(2025, 1, 1))


def test_generated_cur2_totals_match_raw_file_and_the_generators_own_books(org_a, generated_cur2):
    enter(org_a)
    source = CostSource.objects.uploads()
    for period in generated_cur2.periods:
        delivery_ingest(source=source, files=[as_file(f) for f in period.files])
    files = ", ".join(f"'{f}'" for p in generated_cur2.periods for f in p.files)
    assert_totals_match(raw_cur_totals(f"read_parquet([{files}])", ATHENA))
    totals = db_totals()
    for period in generated_cur2.periods:
        # Amortization neither drops nor double counts commitment fees: the amortized total is
        # on-demand usage plus each RI's (upfront + recurring) share and the SP commitment.
        assert_close(totals[(period.period, "USD")]["effective_cost"], period.expected_amortized, "amortized")
        assert_close(totals[(period.period, "USD")]["billed_cost"], period.expected_billed, "billed")
    assert line_count() == generated_cur2.rows


def test_ingesting_the_same_delivery_twice_changes_nothing(org_a):
    enter(org_a)
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    first = (db_totals(), line_count(), DailyCostRollup.objects.count())
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    assert (db_totals(), line_count(), DailyCostRollup.objects.count()) == first
    assert first[1] == 5
    assert Delivery.objects.filter(source=source).count() == 4  # two periods, two deliveries each


def test_a_restated_delivery_replaces_its_period_and_leaves_others(org_a, tmp_path):
    enter(org_a)
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    lines = FOCUS_SMALL.read_text().splitlines()
    header, march = lines[0], [line for line in lines[1:] if ",USD,2025-03-01T" in line]
    # Restated March: first row's cost changed, second removed, a new row added.
    restated = [march[0].replace("10.1234567890,9.50", "11.00,10.00"), *march[2:]]
    restated.append(march[2].replace("5.25,5.25,6.00,5.25", "1.00,1.00,1.00,1.00").replace("db-1", "db-2"))
    path = write(tmp_path / "march.csv", "\n".join([header, *restated]) + "\n")
    summary = delivery_ingest(source=source, files=[as_file(path)])
    assert summary.billing_periods == ["2025-03"]
    assert_totals_match(
        {**focus_raw_totals(path), **{k: v for k, v in focus_raw_totals(FOCUS_SMALL).items() if k[0] == "2025-02"}}
    )
    assert line_count() == 4 + 1
    assert not CostLineItem.objects.filter(resource_id="bucket-a").exists()


def test_rollups_hold_every_basis_per_day_and_dimension(org_a):
    enter(org_a)
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])
    day = DailyCostRollup.objects.get(day=datetime.date(2025, 3, 1), charge_category="Usage")
    assert (day.service_name, day.sub_account_id, day.region, day.currency) == (
        "Amazon Elastic Compute Cloud",
        "444455556666",
        "us-east-1",
        "USD",
    )
    assert day.billed_cost == Decimal("10.1234567890")
    assert day.effective_cost == Decimal("9.50") and day.list_cost == Decimal("12.00")
    assert day.row_count == 1 and not day.is_estimate


def test_openers_run_in_the_callers_organization(org_a):
    """Readers run in a helper thread; an opener reading tenant storage must still see the org's schema."""
    from django.db import connection

    from costs.ingest.delivery import DeliveryFile

    enter(org_a)
    schema = org_a.organization.schema_name
    seen = []

    def opener():
        seen.append(connection.schema_name)  # type: ignore[attr-defined]
        return FOCUS_SMALL.open("rb")

    delivery_ingest(source=CostSource.objects.uploads(), files=[DeliveryFile(name="f.csv", open=opener)])
    assert seen and set(seen) == {schema}
