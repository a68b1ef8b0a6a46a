"""Test bills written relative to today (FOCUS CSV), and DuckDB sums over them that use none of the app's code."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from django.core.management import call_command

HEADER = [
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeFrequency",
    "ProviderName",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "SubAccountId",
    "SubAccountName",
    "ResourceId",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "PricingQuantity",
    "PricingUnit",
    "Tags",
]
EC2, S3, RDS, LAMBDA, WATCH = (
    "Amazon Elastic Compute Cloud",
    "Amazon Simple Storage Service",
    "Amazon Relational Database Service",
    "AWS Lambda",
    "AmazonCloudWatch",
)
# (service, category, sub account, base daily cost, tags)
USD_LINES = [
    (EC2, "Compute", "444455556666", Decimal("41.1234567891"), {"team": "web"}),
    (S3, "Storage", "444455556666", Decimal("3.3333333333"), {"env": "prod"}),
    (RDS, "Databases", "777788889999", Decimal("17.5000000001"), {"team": "data"}),
    (LAMBDA, "Compute", "777788889999", Decimal("1.0101010101"), {}),
    (WATCH, "Management and Governance", "444455556666", Decimal("0.4400000004"), {"env": "dev"}),
]


def _iso(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def write_bill(path: Path, *, today: datetime.date, days: int = 100) -> Path:
    """A FOCUS bill of `days` days ending yesterday: two USD accounts with five services (Lambda
    triples and RDS falls to 40% in the last 7 days), a EUR account, monthly tax and a credit."""
    rows: list[list[str]] = []

    def line(
        day: datetime.date,
        end: datetime.date,
        category: str,
        service: str,
        service_category: str,
        sub: str,
        cost: Decimal,
        tags: dict[str, str],
        *,
        payer: str = "111122223333",
        currency: str = "USD",
    ) -> None:
        period = _month_start(day)
        rows.append(
            [
                payer,
                "Acme Payer" if currency == "USD" else "Acme Europe",
                currency,
                _iso(period),
                _iso(_next_month(period)),
                _iso(day),
                _iso(end),
                category,
                "Usage-Based" if category == "Usage" else "One-Time",
                "AWS",
                service,
                service_category,
                "us-east-1",
                sub,
                {"444455556666": "acme-prod", "777788889999": "acme-data"}.get(sub, "acme-eu"),
                f"r-{service[:6]}-{sub[-4:]}" if category == "Usage" else "",
                str(cost),
                str(cost),
                str(cost),
                str(cost),
                "24",
                "Hours",
                "" if not tags else "{" + ", ".join(f'"{k}": "{v}"' for k, v in tags.items()) + "}",
            ]
        )

    yesterday = today - datetime.timedelta(days=1)
    first = yesterday - datetime.timedelta(days=days - 1)
    for k in range(days):
        day = first + datetime.timedelta(days=k)
        recent = day > yesterday - datetime.timedelta(days=7)
        wobble = Decimal((day.toordinal() * 7) % 13) / Decimal(100)
        for service, category, sub, base, tags in USD_LINES:
            cost = base * (1 + wobble)
            if recent and service == LAMBDA:
                cost *= 3
            if recent and service == RDS:
                cost = cost * Decimal("0.4")
            line(
                day,
                day + datetime.timedelta(days=1),
                "Usage",
                service,
                category,
                sub,
                cost.quantize(Decimal("1E-10")),
                tags,
            )
        line(
            day,
            day + datetime.timedelta(days=1),
            "Usage",
            S3,
            "Storage",
            "999900002222",
            Decimal("3.1234") + wobble,
            {"team": "eu"},
            payer="999900001111",
            currency="EUR",
        )
        if day.day == 1 or k == 0:
            line(day, _next_month(day), "Tax", EC2, "Compute", "444455556666", Decimal("12.34"), {})
        if day.day == 15:
            line(day, day + datetime.timedelta(days=1), "Credit", EC2, "Compute", "444455556666", Decimal("-5.55"), {})
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def ingest(slug: str, path: Path) -> None:
    # Through the operators' command: the explorer app never touches costs.models (an import contract).
    call_command("ingest_file", "--org", slug, str(path), stdout=io.StringIO())


class Duck:
    """Independent sums over a FOCUS CSV (DuckDB, all text cast to DECIMAL(38,12))."""

    def __init__(self, path: Path) -> None:
        self.connection = duckdb.connect()
        self.connection.execute(
            "CREATE VIEW bill AS SELECT *, CAST(substr(ChargePeriodStart, 1, 10) AS DATE) AS day, "
            f"CAST(BilledCost AS DECIMAL(38,12)) AS billed FROM read_csv('{path}', all_varchar=true)"
        )

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, list(params)).fetchall()

    def per_currency(self, start: datetime.date, end: datetime.date, where: str = "TRUE") -> dict[str, Decimal]:
        sql = f"SELECT BillingCurrency, SUM(billed) FROM bill WHERE day BETWEEN ? AND ? AND {where} GROUP BY 1"
        return {currency: Decimal(total) for currency, total in self.rows(sql, start, end)}

    def per(self, column: str, start: datetime.date, end: datetime.date) -> dict[tuple[str, str], Decimal]:
        sql = f"SELECT {column}, BillingCurrency, SUM(billed) FROM bill WHERE day BETWEEN ? AND ? GROUP BY 1, 2"
        return {(key or "", currency): Decimal(total) for key, currency, total in self.rows(sql, start, end)}
