"""Helpers shared by the ingestion tests (no tests here)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import connection

from costs.ingest.delivery import DeliveryFile
from costs.ingest.files import local_file
from costs.models import CostLineItem, CostSource
from costs.selectors import cost_totals

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"
FOCUS_SAMPLE = DATA / "focus" / "sample_1.0" / "focus_sample.csv"
LEGACY_CSV = DATA / "aws_cur" / "legacy_csv" / "sample-anonymous-aws-export-dataset.csv"
LEGACY_PARQUET = DATA / "aws_cur" / "legacy_parquet" / "Oct2018-WorkshopCUR-00001.snappy.parquet"
FOCUS_SMALL = FIXTURES / "focus_small.csv"
CENT = Decimal("0.01")


def enter(world: Any) -> None:
    connection.set_tenant(world.organization)  # type: ignore[attr-defined]


def db_totals() -> dict[tuple[str, str], dict[str, Decimal]]:
    """(period, currency) -> basis -> amount, from the `All` rows of cost_totals()."""
    return {
        (row["billing_period"], row["currency"]): {k: v for k, v in row.items() if k.endswith("_cost") or k == "rows"}
        for row in cost_totals()
        if row["charge_category"] == "All"
    }


def line_count(source: CostSource | None = None) -> int:
    lines = CostLineItem.objects.all()
    return (lines.filter(source=source) if source else lines).count()


def raw(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def as_file(path: Path, name: str | None = None) -> DeliveryFile:
    return local_file(path, name=name)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# AWS's amortized-cost CASE, written independently of the mapper (DuckDB SQL over the raw file).
def cur_effective_sql(col: dict[str, str | None]) -> str:
    def c(name: str) -> str:
        column = col.get(name)
        return f'COALESCE(TRY_CAST("{column}" AS DECIMAL(38,12)), 0)' if column else "0"

    kind = f'"{col["type"]}"'
    arn = f"COALESCE(CAST(\"{col['ri_arn']}\" AS VARCHAR), '')" if col.get("ri_arn") else "''"
    return f"""SUM(CASE
        WHEN {kind} = 'SavingsPlanCoveredUsage' THEN {c("sp_effective")}
        WHEN {kind} = 'SavingsPlanRecurringFee' THEN {c("sp_total")} - {c("sp_used")}
        WHEN {kind} IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') THEN 0
        WHEN {kind} = 'DiscountedUsage' THEN {c("ri_effective")}
        WHEN {kind} = 'RIFee' THEN {c("ri_unused_upfront")} + {c("ri_unused_recurring")}
        WHEN {kind} = 'Fee' AND {arn} <> '' THEN 0
        ELSE {c("unblended")} END)"""


ATHENA = {
    "type": "line_item_line_item_type",
    "unblended": "line_item_unblended_cost",
    "sp_effective": "savings_plan_savings_plan_effective_cost",
    "sp_total": "savings_plan_total_commitment_to_date",
    "sp_used": "savings_plan_used_commitment",
    "ri_effective": "reservation_effective_cost",
    "ri_unused_upfront": "reservation_unused_amortized_upfront_fee_for_billing_period",
    "ri_unused_recurring": "reservation_unused_recurring_fee",
    "ri_arn": "reservation_reservation_a_r_n",
    "period": "bill_billing_period_start_date",
    "currency": "line_item_currency_code",
}
LEGACY = {
    "type": "lineItem/LineItemType",
    "unblended": "lineItem/UnblendedCost",
    "sp_effective": "savingsPlan/SavingsPlanEffectiveCost",
    "sp_total": "savingsPlan/TotalCommitmentToDate",
    "sp_used": "savingsPlan/UsedCommitment",
    "ri_effective": "reservation/EffectiveCost",
    "ri_unused_upfront": "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "ri_unused_recurring": "reservation/UnusedRecurringFee",
    "ri_arn": "reservation/ReservationARN",
    "period": "bill/BillingPeriodStartDate",
    "currency": "lineItem/CurrencyCode",
}


def raw_cur_totals(relation: str, names: Mapping[str, str]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(period, currency) -> billed/effective/rows computed by DuckDB straight from the file."""
    present = {row[0] for row in raw(f"DESCRIBE SELECT * FROM {relation}")}
    col: dict[str, str | None] = {key: (name if name in present else None) for key, name in names.items()}
    rows = raw(
        f"""SELECT strftime(CAST(CAST("{col["period"]}" AS VARCHAR)[1:10] AS DATE), '%Y-%m'), "{col["currency"]}",
                   SUM(CAST("{col["unblended"]}" AS DECIMAL(38,12))), {cur_effective_sql(col)}, COUNT(*)
            FROM {relation} GROUP BY 1, 2"""
    )
    return {(p, c): {"billed_cost": b, "effective_cost": e, "rows": n} for p, c, b, e, n in rows}


def assert_close(db: Decimal, expected: Any, what: str) -> None:
    expected = Decimal(str(expected))
    assert abs(db - expected) < Decimal("0.000001"), f"{what}: database {db} != raw {expected}"
    assert db.quantize(CENT) == expected.quantize(CENT), what
