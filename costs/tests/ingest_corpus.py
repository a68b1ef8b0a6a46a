"""The files of the ingest corpus (costs/tests/test_ingest_corpus.py), each with the outcome it must have.

Every file is generated here, in code; nothing is a hand-edited blob.
"""

from __future__ import annotations

import datetime
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from costs.hostile_files import gzip_long_line_bomb
from costs.ingest.delivery import DeliveryFile
from costs.tests.test_ingest_support import FOCUS_SMALL

BASES = ("billed_cost", "effective_cost", "list_cost", "contracted_cost", "unblended_cost", "net_unblended_cost")
PERIOD = "2025-05"

# --- file makers --------------------------------------------------------------------------------


def memory_file(name: str, data: bytes) -> DeliveryFile:
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def csv_bytes(header: str, rows: list[str], *, newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode()


def parquet_of(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


FOCUS = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,BilledCost,EffectiveCost,ListCost,ContractedCost,ServiceName"


def focus_row(day: int, billed: str, effective: str, listed: str, contracted: str, **kw: str) -> str:
    account = kw.get("account", "111122223333")
    currency = kw.get("currency", "USD")
    start = kw.get("start", f"2025-05-{day:02d}T00:00:00Z")
    service = kw.get("service", "Amazon EC2")
    category = kw.get("category", "Usage")
    return f"{account},{currency},2025-05-01T00:00:00Z,{start},{category},{billed},{effective},{listed},{contracted},{service}"


TWO_FOCUS_ROWS = [focus_row(3, "1.50", "1.40", "2.00", "1.50"), focus_row(4, "2.25", "2.25", "3.00", "2.25")]
TWO_FOCUS_TOTALS = {"billed_cost": "3.75", "effective_cost": "3.65", "list_cost": "5.00", "contracted_cost": "3.75"}

LEGACY = (
    "identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,bill/BillingPeriodEndDate,"
    "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/LineItemType,lineItem/CurrencyCode,"
    "lineItem/UnblendedCost,lineItem/NetUnblendedCost,pricing/publicOnDemandCost,"
    "savingsPlan/SavingsPlanEffectiveCost,savingsPlan/SavingsPlanARN,lineItem/ProductCode"
)


def legacy_row(day: int, kind: str, unblended: str, net: str = "", on_demand: str = "", sp_effective: str = "") -> str:
    arn = "arn:aws:savingsplans::1:savingsplan/sp-1" if kind.startswith("SavingsPlan") else ""
    return (
        f"id-{day},111122223333,2025-05-01T00:00:00Z,2025-06-01T00:00:00Z,2025-05-{day:02d}T00:00:00Z,"
        f"2025-05-{day:02d}T01:00:00Z,{kind},USD,{unblended},{net},{on_demand},{sp_effective},{arn},AmazonEC2"
    )


def without_column(header: str, rows: list[str], column: str) -> tuple[str, list[str]]:
    index = header.split(",").index(column)
    drop = lambda line: ",".join(c for i, c in enumerate(line.split(",")) if i != index)  # noqa: E731
    return drop(header), [drop(r) for r in rows]


MAY_FIRST = datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
# The 13th decimal: half-up at the 12th (away from zero for negatives), never truncated.
THIRTEENTH = ["1.0000000000005", "-0.0000000000005", "2.4999999999994"]
THIRTEENTH_TOTAL = "3.499999999999"  # 1.000000000001 - 0.000000000001 + 2.499999999999


def focus_thirteenth_csv() -> DeliveryFile:
    rows = [focus_row(3 + i, v, v, v, v) for i, v in enumerate(THIRTEENTH)]
    return memory_file("thirteen.csv", csv_bytes(FOCUS, rows))


def focus_thirteenth_parquet(kind: pa.DataType) -> DeliveryFile:
    n = len(THIRTEENTH)
    values = [float(v) for v in THIRTEENTH] if pa.types.is_floating(kind) else [Decimal(v) for v in THIRTEENTH]
    money = pa.array(values, kind)
    table = pa.table(
        {
            "BillingAccountId": ["111122223333"] * n,
            "BillingCurrency": ["USD"] * n,
            "BillingPeriodStart": pa.array([MAY_FIRST] * n, pa.timestamp("ms", tz="UTC")),
            "ChargePeriodStart": pa.array([f"2025-05-0{3 + i}T00:00:00Z" for i in range(n)]),
            "ChargeCategory": ["Usage"] * n,
            "BilledCost": money,
            "EffectiveCost": money,
            "ListCost": money,
            "ContractedCost": money,
        }
    )
    return memory_file(f"thirteen-{kind}.parquet", parquet_of(table))


def legacy_thirteenth() -> DeliveryFile:
    rows = [
        legacy_row(3, "Usage", THIRTEENTH[0], net=THIRTEENTH[0], on_demand=THIRTEENTH[0]),
        legacy_row(4, "Usage", THIRTEENTH[1], net=THIRTEENTH[1], on_demand=THIRTEENTH[1]),
        legacy_row(5, "Usage", THIRTEENTH[2], net=THIRTEENTH[2], on_demand=THIRTEENTH[2]),
        # Effective cost comes from the savings plan column here (computed in Arrow, not by PostgreSQL).
        legacy_row(6, "SavingsPlanCoveredUsage", "3.00", net="3.00", on_demand="4.00", sp_effective="0.1234567890125"),
    ]
    return memory_file("thirteen-cur.csv", csv_bytes(LEGACY, rows))


def cur2_thirteenth() -> DeliveryFile:
    n = len(THIRTEENTH) + 1
    amounts = [*THIRTEENTH, "3.00"]
    table = pa.table(
        {
            "identity_line_item_id": [f"id-{i}" for i in range(n)],
            "bill_payer_account_id": ["111122223333"] * n,
            "bill_billing_period_start_date": ["2025-05-01T00:00:00Z"] * n,
            "line_item_usage_start_date": [f"2025-05-0{3 + i}T00:00:00Z" for i in range(n)],
            "line_item_line_item_type": ["Usage"] * (n - 1) + ["SavingsPlanCoveredUsage"],
            "line_item_currency_code": ["USD"] * n,
            "line_item_unblended_cost": amounts,
            "line_item_net_unblended_cost": amounts,
            "pricing_public_on_demand_cost": [*THIRTEENTH, "4.00"],
            "savings_plan_savings_plan_effective_cost": [None, None, None, "0.1234567890125"],
            "savings_plan_savings_plan_a_r_n": [None, None, None, "arn:aws:savingsplans::1:savingsplan/sp-1"],
            "line_item_product_code": ["AmazonEC2"] * n,
        }
    )
    return memory_file("thirteen-cur2.parquet", parquet_of(table))


# Amounts of the CUR files above: three 13th-decimal lines, and a savings-plan line billed 3.00
# whose effective cost is 0.1234567890125 -> 0.123456789013.
CUR_THIRTEENTH_TOTALS = {
    "billed_cost": "6.499999999999",
    "unblended_cost": "6.499999999999",
    "contracted_cost": "6.499999999999",
    "net_unblended_cost": "6.499999999999",
    "list_cost": "7.499999999999",
    "effective_cost": "3.623456789012",
}


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    totals: dict[str, str]  # basis -> exact total (USD, May 2025); bases not named are "not in this export"
    rows: int
    note: str = ""  # a job note containing this
    warning: str = ""  # a job warning message containing this
    other_currencies: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    where: str  # "file", "file, row N" or "file, row N, column C": the error starts with it
    says: str


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], DeliveryFile]
    outcome: Accepted | Rejected


def _good_gzip_truncated() -> DeliveryFile:
    return memory_file("cur.csv.gz", gzip.compress(FOCUS_SMALL.read_bytes() * 50)[:300])


def _long_first_line() -> DeliveryFile:
    out = io.BytesIO()
    gzip_long_line_bomb(out, expanded_bytes=2 << 20)
    return memory_file("bomb.csv.gz", out.getvalue())


def _parquet_half() -> DeliveryFile:
    data = parquet_of(pa.table({"BilledCost": [str(i) for i in range(5000)]}))
    return memory_file("half.parquet", data[: len(data) // 2])


FOCUS_SMALL_HEADER, *FOCUS_SMALL_ROWS = FOCUS_SMALL.read_text().splitlines()


def small_with(row: int, column: str, value: str) -> str:
    """A FOCUS_SMALL data row (1-based) with one cell changed (no commas before Tags)."""
    cells = FOCUS_SMALL_ROWS[row - 1].split(",")
    cells[FOCUS_SMALL_HEADER.split(",").index(column)] = value
    return ",".join(cells)


def small(name: str, rows: list[str], header: str = FOCUS_SMALL_HEADER) -> DeliveryFile:
    return memory_file(name, csv_bytes(header, rows))


CORPUS: list[Case] = [
    # --- accepted, with exact totals ---------------------------------------------------------
    Case(
        "plain FOCUS", lambda: memory_file("plain.csv", csv_bytes(FOCUS, TWO_FOCUS_ROWS)), Accepted(TWO_FOCUS_TOTALS, 2)
    ),
    Case(
        "UTF-8 byte order mark",
        lambda: memory_file("bom.csv", b"\xef\xbb\xbf" + csv_bytes(FOCUS, TWO_FOCUS_ROWS)),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "CRLF line ends",
        lambda: memory_file("crlf.csv", csv_bytes(FOCUS, TWO_FOCUS_ROWS, newline="\r\n")),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "quoted line break and comma in a text cell",
        lambda: memory_file(
            "quoted.csv",
            csv_bytes(
                FOCUS, [TWO_FOCUS_ROWS[0], focus_row(4, "2.25", "2.25", "3.00", "2.25", service='"EC2,\nOther"')]
            ),
        ),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "quoted amounts",
        lambda: memory_file(
            "quoted-amounts.csv",
            csv_bytes(FOCUS, [TWO_FOCUS_ROWS[0], focus_row(4, '"2.25"', '"2.25"', '"3.00"', "2.25")]),
        ),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "gzip-compressed CSV",
        lambda: memory_file("plain.csv.gz", gzip.compress(csv_bytes(FOCUS, TWO_FOCUS_ROWS))),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "odd but valid dates (offsets, milliseconds, date only)",
        lambda: memory_file(
            "dates.csv",
            csv_bytes(
                FOCUS,
                [
                    focus_row(0, "1.00", "1.00", "1.00", "1.00", start="2025-05-03T00:00:00+00:00"),
                    focus_row(0, "2.00", "2.00", "2.00", "2.00", start="2025-05-04T10:00:00.000Z"),
                    focus_row(0, "4.00", "4.00", "4.00", "4.00", start="2025-05-05T02:00:00+02:00"),
                ],
            ),
        ),
        Accepted(dict.fromkeys(("billed_cost", "effective_cost", "list_cost", "contracted_cost"), "7.00"), 3),
    ),
    Case(
        "null tokens in optional columns",
        lambda: memory_file(
            "tokens.csv",
            csv_bytes(FOCUS, [focus_row(3, "1.50", "1.40", "None", "N/A"), focus_row(4, "2.25", "2.25", "-", "2.25")]),
        ),
        Accepted({"billed_cost": "3.75", "effective_cost": "3.65", "contracted_cost": "2.25"}, 2, note="N/A"),
    ),
    Case(
        "credits are negative",
        lambda: memory_file(
            "credit.csv",
            csv_bytes(FOCUS, [TWO_FOCUS_ROWS[0], focus_row(5, "-1.25", "-1.25", "0", "-1.25", category="Credit")]),
        ),
        Accepted({"billed_cost": "0.25", "effective_cost": "0.15", "list_cost": "2.00", "contracted_cost": "0.25"}, 2),
    ),
    Case(
        "scientific notation amounts",
        lambda: memory_file("sci.csv", csv_bytes(FOCUS, [focus_row(3, "1.5E-3", "1.5e-3", "2E+1", "0.0015")])),
        Accepted(
            {"billed_cost": "0.0015", "effective_cost": "0.0015", "list_cost": "20", "contracted_cost": "0.0015"}, 1
        ),
    ),
    Case(
        "upper snake-case FOCUS header",
        lambda: memory_file(
            "upper.csv",
            csv_bytes(
                "BILLING_ACCOUNT_ID,BILLING_CURRENCY,BILLING_PERIOD_START,CHARGE_PERIOD_START,CHARGE_CATEGORY,"
                "BILLED_COST,EFFECTIVE_COST,LIST_COST,CONTRACTED_COST,SERVICE_NAME",
                TWO_FOCUS_ROWS,
            ),
        ),
        Accepted(TWO_FOCUS_TOTALS, 2),
    ),
    Case(
        "lower-cased legacy CUR header",
        lambda: memory_file(
            "lower.csv",
            csv_bytes(
                LEGACY.lower(),
                [
                    legacy_row(3, "Usage", "1.25", net="1.00", on_demand="2.00"),
                    legacy_row(4, "Tax", "0.10", net="0.10"),
                ],
            ),
        ),
        Accepted(
            {
                "billed_cost": "1.35",
                "effective_cost": "1.35",
                "list_cost": "2.00",
                "contracted_cost": "1.35",
                "unblended_cost": "1.35",
                "net_unblended_cost": "1.10",
            },
            2,
        ),
    ),
    Case(
        "absent basis: a legacy CUR without net columns",
        lambda: memory_file(
            "no-net.csv",
            csv_bytes(
                *without_column(LEGACY, [legacy_row(3, "Usage", "1.25", on_demand="2.00")], "lineItem/NetUnblendedCost")
            ),
        ),
        Accepted(
            {
                "billed_cost": "1.25",
                "effective_cost": "1.25",
                "list_cost": "2.00",
                "contracted_cost": "1.25",
                "unblended_cost": "1.25",
            },
            1,
        ),
    ),
    Case(
        "absent bases: FOCUS without list and contracted cost",
        lambda: memory_file(
            "no-list.csv",
            csv_bytes(
                *without_column(*without_column(FOCUS, TWO_FOCUS_ROWS, "ListCost"), "ContractedCost"),
            ),
        ),
        Accepted({"billed_cost": "3.75", "effective_cost": "3.65"}, 2),
    ),
    Case(
        "implausible amount kept with a warning",
        lambda: memory_file(
            "huge.csv", csv_bytes(FOCUS, [focus_row(3, "1000000000000000", "12.50", "12.50", "12.50")])
        ),
        Accepted(
            {
                "billed_cost": "1000000000000000",
                "effective_cost": "12.50",
                "list_cost": "12.50",
                "contracted_cost": "12.50",
            },
            1,
            warning="implausible amount",
        ),
    ),
    Case(
        "two billing accounts in two currencies",
        lambda: memory_file(
            "two-currencies.csv",
            csv_bytes(
                FOCUS,
                [
                    TWO_FOCUS_ROWS[0],
                    focus_row(4, "5.25", "5.00", "6.00", "5.25", account="999900001111", currency="EUR"),
                ],
            ),
        ),
        Accepted(
            {"billed_cost": "1.50", "effective_cost": "1.40", "list_cost": "2.00", "contracted_cost": "1.50"},
            2,
            other_currencies={
                "EUR": {"billed_cost": "5.25", "effective_cost": "5.00", "list_cost": "6.00", "contracted_cost": "5.25"}
            },
        ),
    ),
    Case(
        "13th decimal, FOCUS CSV",
        focus_thirteenth_csv,
        Accepted(dict.fromkeys(("billed_cost", "effective_cost", "list_cost", "contracted_cost"), THIRTEENTH_TOTAL), 3),
    ),
    Case(
        "13th decimal, FOCUS Parquet doubles",
        lambda: focus_thirteenth_parquet(pa.float64()),
        Accepted(dict.fromkeys(("billed_cost", "effective_cost", "list_cost", "contracted_cost"), THIRTEENTH_TOTAL), 3),
    ),
    Case(
        "13th decimal, FOCUS Parquet decimals",
        lambda: focus_thirteenth_parquet(pa.decimal128(38, 18)),
        Accepted(dict.fromkeys(("billed_cost", "effective_cost", "list_cost", "contracted_cost"), THIRTEENTH_TOTAL), 3),
    ),
    Case("13th decimal, legacy CUR CSV", legacy_thirteenth, Accepted(CUR_THIRTEENTH_TOTALS, 4)),
    Case("13th decimal, CUR 2.0 Parquet", cur2_thirteenth, Accepted(CUR_THIRTEENTH_TOTALS, 4)),
    # --- rejected, naming where -------------------------------------------------------------
    Case("empty file", lambda: memory_file("empty.csv", b""), Rejected("empty.csv", "empty")),
    Case("header only", lambda: memory_file("h.csv", csv_bytes(FOCUS, [])), Rejected("h.csv", "no data rows")),
    Case("unknown format", lambda: memory_file("n.csv", b"a,b,c\n1,2,3\n"), Rejected("n.csv", "unknown format")),
    Case("binary junk", lambda: memory_file("j.bin", bytes(range(256)) * 4), Rejected("j.bin", "")),
    Case("truncated gzip", _good_gzip_truncated, Rejected("cur.csv.gz", "gzip")),
    Case(
        "not gzip", lambda: memory_file("cur.csv.gz", b"\x1f\x8b" + b"\x00garbage" * 20), Rejected("cur.csv.gz", "gzip")
    ),
    Case("gzip whose first line never ends", _long_first_line, Rejected("bomb.csv.gz", "longer than 1 MiB")),
    Case(
        "parquet footer missing",
        lambda: memory_file("x.parquet", parquet_of(pa.table({"BilledCost": ["1.0"]}))[:-10]),
        Rejected("x.parquet", "footer"),
    ),
    Case("parquet cut in half", _parquet_half, Rejected("half.parquet", "parquet")),
    Case(
        "FOCUS missing a mandatory column",
        lambda: memory_file("near.csv", csv_bytes(*without_column(FOCUS, TWO_FOCUS_ROWS, "BilledCost"))),
        Rejected("near.csv", "looks like FOCUS; the mandatory column BilledCost is missing"),
    ),
    Case(
        "required column renamed",
        lambda: small("m.csv", FOCUS_SMALL_ROWS, FOCUS_SMALL_HEADER.replace("BillingCurrency", "Currency")),
        Rejected("m.csv", "BillingCurrency"),
    ),
    Case(
        "columns that differ only in case",
        lambda: memory_file("dup.csv", csv_bytes(FOCUS + ",billedcost", [TWO_FOCUS_ROWS[0] + ",9.00"])),
        Rejected("dup.csv", "differ only in case"),
    ),
    Case(
        "text in a cost cell",
        lambda: small("c.csv", [FOCUS_SMALL_ROWS[0], small_with(2, "BilledCost", "12.5x")]),
        Rejected("c.csv, row 2, column BilledCost", "non-numeric value '12.5x'"),
    ),
    Case(
        "null token in a required cost column",
        lambda: memory_file(
            "req.csv", csv_bytes(LEGACY, [legacy_row(3, "Usage", "1.00"), legacy_row(4, "Usage", "NaN")])
        ),
        Rejected("req.csv, row 2, column lineItem/UnblendedCost", "where an amount is required"),
    ),
    Case(
        "out-of-range cost",
        lambda: small("r.csv", [*FOCUS_SMALL_ROWS[:2], small_with(3, "EffectiveCost", "1e30")]),
        Rejected("r.csv, row 3, column EffectiveCost", "out-of-range value"),
    ),
    Case(
        "invalid date",
        lambda: small("d.csv", [small_with(1, "ChargePeriodStart", "2025-13-45")]),
        Rejected("d.csv, row 1, column ChargePeriodStart", "invalid date"),
    ),
    Case(
        "date out of range",
        lambda: small("y.csv", [FOCUS_SMALL_ROWS[0], small_with(2, "ChargePeriodStart", "1970-01-01T00:00:00Z")]),
        Rejected("y.csv, row 2, column ChargePeriodStart", "out-of-range date"),
    ),
    Case(
        "invalid UTF-8",
        lambda: memory_file(
            "latin.csv",
            csv_bytes(FOCUS, [TWO_FOCUS_ROWS[0], TWO_FOCUS_ROWS[1].replace("Amazon", "Amaz_n")]).replace(b"_", b"\xf3"),
        ),
        Rejected("latin.csv, row 2, column ServiceName", "not UTF-8"),
    ),
    Case(
        "two currencies for one billing account and period",
        lambda: small("e.csv", [FOCUS_SMALL_ROWS[0], small_with(3, "BillingCurrency", "EUR")]),
        Rejected("e.csv, row 2, column BillingCurrency", "has currency EUR for billing account 111122223333"),
    ),
    Case(
        "two currencies for one payer account in a CUR",
        lambda: memory_file(
            "e-cur.csv",
            csv_bytes(
                LEGACY, [legacy_row(3, "Usage", "1.00"), legacy_row(4, "Usage", "2.00").replace(",USD,", ",EUR,")]
            ),
        ),
        Rejected("e-cur.csv, row 2, column lineItem/CurrencyCode", "has currency EUR for billing account 111122223333"),
    ),
    Case(
        "invalid tags JSON",
        lambda: small("t.csv", [FOCUS_SMALL_ROWS[1], FOCUS_SMALL_ROWS[0].replace('{""team"": ""web""}', "{not json")]),
        Rejected("t.csv, row 2, column Tags", "invalid input syntax for type json"),
    ),
]
