"""`make bench ONLY=explorer`: the explorer's pages over a year of a big bill, against plain GROUP BYs.

An organization gets FINOPS_BENCH_EXPLORER_ROWS (default 10M) line items over the twelve
months ending yesterday, generated as CUR 2.0 Parquet in a child process (bounded memory) and
ingested period by period through `delivery_ingest`, the path every upload and export takes.
Then, with a signed-in owner and Django's test client (server-side time: middleware, view,
selectors, template), at least 50 requests each of

  home          `/` (whatever the home page is when this runs)
  by_service    a 90-day daily breakdown grouped by service
  by_tag        a 90-day daily breakdown grouped by a tag key, filtered to the largest service
  drilldown     the first page of line items behind that service over the 90 days

and, in the same run, the same questions as plain GROUP BYs (or the ORDER BY … LIMIT) over
the line items (`baseline_ms`: median of a few runs), with a check that the page's totals
equal the plain query's to the cent. Targets: p95 < 150 ms (home, by_service, by_tag),
< 500 ms (drilldown), by_service ≥ 20× faster than its baseline.

Ingest figures from the same bill: the whole ingest's rows/s; one month re-ingested into
scratch organizations with and without the explorer's summaries (their extra seconds per
million rows), and a raw COPY of that month's rows into an unindexed table (the floor).
"""

from __future__ import annotations

import datetime
import functools
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django_tenants.utils import tenant_context

ROWS = int(os.environ.get("FINOPS_BENCH_EXPLORER_ROWS", "10000000"))
REQUESTS = max(50, int(os.environ.get("FINOPS_BENCH_EXPLORER_REQUESTS", "50")))
BASELINE_RUNS = int(os.environ.get("FINOPS_BENCH_EXPLORER_BASELINE_RUNS", "3"))
WARMUP = 3
SLUG = "bench-explorer"
SCRATCH = ("bench-explorer-plain", "bench-explorer-summaries")
TARGETS_MS = {"home": 150, "by_service": 150, "by_tag": 150, "drilldown": 500}
SPEEDUP_TARGET = 20
TAG_KEY = "team"


def _log(message: str) -> None:
    print(f"[bench explorer] {message}", file=sys.stderr, flush=True)


def _months_back(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000, result


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_DAY = "(charge_period_start AT TIME ZONE 'UTC')::date"


class Questions:
    """The four questions as page URLs, and each as the plain query a naive explorer would run."""

    def __init__(self, *, today: datetime.date, service: str, tag_key: str) -> None:
        self.end = today - datetime.timedelta(days=1)
        self.start = self.end - datetime.timedelta(days=89)
        self.today = today
        self.service = service
        self.tag_key = tag_key
        common = [("start", self.start.isoformat()), ("end", self.end.isoformat()), ("granularity", "day")]
        self.urls = {
            "home": "/",
            "by_service": "/costs/?" + urlencode([*common, ("group_by", "service_name")]),
            "by_tag": "/costs/?"
            + urlencode([*common, ("group_by", f"tag:{tag_key}"), ("include.service_name", service)]),
            "drilldown": "/costs/line-items/?"
            + urlencode([*common, ("group_by", "service_name"), ("include.service_name", service)]),
        }

    def _range(self) -> list[Any]:
        return [_midnight(self.start), _midnight(self.end + datetime.timedelta(days=1))]

    def baseline(self, name: str) -> list[tuple[Any, ...]]:
        """The question answered straight from the line items (no summary, no app code)."""
        in_range = "charge_period_start >= %s AND charge_period_start < %s"
        if name == "home":
            this_month = self.today.replace(day=1)
            last_month = _months_back(self.today, 1)
            rows = _fetch(
                "SELECT billing_currency, SUM(billed_cost) FILTER (WHERE charge_period_start >= %s), "
                "SUM(billed_cost) FILTER (WHERE charge_period_start < %s) FROM costs_costlineitem "
                "WHERE charge_period_start >= %s GROUP BY 1",
                [_midnight(this_month), _midnight(this_month), _midnight(last_month)],
            )
            rows += _fetch(
                f"SELECT {_DAY}, service_name, billing_currency, SUM(billed_cost) FROM costs_costlineitem "
                f"WHERE {in_range} GROUP BY 1, 2, 3",
                self._range(),
            )
            rows += _fetch(
                f"SELECT sub_account_id, billing_currency, SUM(billed_cost) FROM costs_costlineitem "
                f"WHERE {in_range} GROUP BY 1, 2",
                self._range(),
            )
            return rows
        if name == "by_service":
            return _fetch(
                f"SELECT {_DAY}, service_name, billing_currency, SUM(billed_cost) FROM costs_costlineitem "
                f"WHERE {in_range} GROUP BY 1, 2, 3",
                self._range(),
            )
        if name == "by_tag":
            return _fetch(
                f"SELECT {_DAY}, COALESCE(tags ->> %s, ''), billing_currency, SUM(billed_cost) "
                f"FROM costs_costlineitem WHERE {in_range} AND service_name = %s GROUP BY 1, 2, 3",
                [self.tag_key, *self._range(), self.service],
            )
        return _fetch(
            f"SELECT id, {_DAY}, resource_id, x_usage_type, pricing_quantity, pricing_unit, billed_cost "
            f"FROM costs_costlineitem WHERE {in_range} AND service_name = %s "
            "ORDER BY billed_cost DESC NULLS LAST, id DESC LIMIT 51",
            [*self._range(), self.service],
        )


def _answers_agree(questions: Questions) -> dict[str, bool]:
    """Each page's figures equal the plain query's, to the cent (the summaries change no answer)."""
    from costs.selectors import CostQuery, DimensionFilter, Granularity, cost_breakdown, cost_line_items

    base = CostQuery(start=questions.start, end=questions.end, granularity=Granularity.DAY)

    def by_group(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], Decimal]:
        out: dict[tuple[str, str], Decimal] = {}
        for _day, group, currency, amount in rows:
            key = (group or "", currency)
            out[key] = out.get(key, Decimal(0)) + (amount or Decimal(0))
        return out

    def page_groups(query: CostQuery) -> dict[tuple[str, str], Decimal]:
        breakdown = cost_breakdown(query=query, limit=10_000)
        return {(row.group or "", row.currency): row.total or Decimal(0) for row in breakdown.rows}

    service_filter = DimensionFilter("service_name", (questions.service,))
    tag_query = CostQuery(
        start=questions.start,
        end=questions.end,
        granularity=Granularity.DAY,
        group_by=f"tag:{questions.tag_key}",
        filters=(service_filter,),
    )
    drill = cost_line_items(query=CostQuery(start=questions.start, end=questions.end, filters=(service_filter,)))
    plain_drill = questions.baseline("drilldown")[:50]

    def cents(groups: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
        return {key: value.quantize(Decimal("0.01")) for key, value in groups.items() if value}

    return {
        "by_service": cents(page_groups(base)) == cents(by_group(questions.baseline("by_service"))),
        "by_tag": cents(page_groups(tag_query)) == cents(by_group(questions.baseline("by_tag"))),
        "drilldown": [item.id for item in drill.items] == [row[0] for row in plain_drill],
    }


def _measure(client: Any, url: str) -> list[float]:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:500]!r}")
    times = []
    for _ in range(REQUESTS):
        elapsed, response = _timed(lambda: client.get(url))
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        times.append(elapsed)
    return times


def _biggest_service() -> str:
    rows = _fetch(
        "SELECT service_name FROM costs_dailycostrollup WHERE NOT is_estimate "
        "GROUP BY 1 ORDER BY SUM(billed_cost) DESC LIMIT 1",
        [],
    )
    return str(rows[0][0])


def _cardinalities() -> dict[str, int]:
    (row,) = _fetch(
        "SELECT COUNT(*), COUNT(DISTINCT resource_id), COUNT(DISTINCT service_name), "
        "COUNT(DISTINCT sub_account_id), COUNT(DISTINCT region_id), COUNT(DISTINCT usage_type) FROM "
        "(SELECT resource_id, service_name, sub_account_id, region_id, "
        "COALESCE(NULLIF(x_usage_type, ''), sku_id) AS usage_type FROM costs_costlineitem) lines",
        [],
    )
    names = ("line_items", "resources", "services", "sub_accounts", "regions", "usage_types")
    figures = dict(zip(names, (int(v) for v in row), strict=True))
    figures["tag_keys"] = int(_fetch("SELECT COUNT(DISTINCT tag_key) FROM costs_dailytagcost", [])[0][0])
    return figures


INGEST_ROUNDS = 3  # the machine's noise: one raw COPY of the same month measured 111k-152k rows/s in one hour


def _ingest_figures(period: dict[str, Any], ingest_rate: float) -> list[dict[str, Any]]:
    """One month again into scratch organizations, in rounds: without summaries, with them, and a raw COPY;
    the median of each (a slow spell of the machine falls on all three alike)."""
    from costs.bench import _organization
    from costs.bench_tenant import bench_bill_ingest, raw_copy_rate, summaries_disabled
    from tenants.services.provisioning import organization_delete

    plain_org, full_org = (_organization(slug) for slug in SCRATCH)
    plain_runs: list[float] = []
    full_runs: list[float] = []
    copy_rates: list[float] = []
    try:
        for round_number in range(1, INGEST_ROUNDS + 1):
            _log(f"round {round_number}: {period['period']} ({period['rows']:,} rows) without summaries")
            with summaries_disabled():
                rows, seconds = bench_bill_ingest(organization=plain_org, periods=[period])
            plain_runs.append(seconds)
            _log(f"round {round_number}: with summaries")
            _rows, seconds = bench_bill_ingest(organization=full_org, periods=[period])
            full_runs.append(seconds)
            _log(f"round {round_number}: raw COPY into an unindexed table")
            copied, rate = raw_copy_rate(organization=plain_org, files=period["files"])
            copy_rates.append(rate)
            _log(f"round {round_number}: {plain_runs[-1]:.2f} s, {full_runs[-1]:.2f} s, raw COPY {rate:,.0f} rows/s")
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        organization_delete(organization=plain_org)
        organization_delete(organization=full_org)
    plain_seconds, full_seconds, copy_rate = (statistics.median(runs) for runs in (plain_runs, full_runs, copy_rates))
    extra_per_million = (full_seconds - plain_seconds) / rows * 1_000_000
    month_rate = rows / full_seconds
    return [
        {
            "bench": "explorer_summaries_ingest_cost",
            "value": round(extra_per_million, 2),
            "unit": "s per 1M rows",
            "baseline": round(plain_seconds / rows * 1_000_000, 2),
            "ratio": round(full_seconds / plain_seconds, 3),
            "rows": rows,
            "period": period["period"],
            "seconds_with_summaries": round(full_seconds, 2),
            "seconds_without_summaries": round(plain_seconds, 2),
            "rounds_with": [round(x, 2) for x in full_runs],
            "rounds_without": [round(x, 2) for x in plain_runs],
            # Below 0 when the summaries save more than they cost: with them, the rollups come from the
            # usage summary's partial sums instead of a GROUP BY over the month's line items.
            "note": "with summaries the rollups are built from their partial sums",
        },
        {
            "bench": "explorer_ingest_vs_raw_copy",
            "value": round(month_rate),
            "unit": "rows/s",
            "baseline": round(copy_rate),
            "ratio": round(month_rate / copy_rate, 3),
            "target_ratio": 0.5,
            "meets_target": month_rate / copy_rate >= 0.5,
            "rows": copied,
            "raw_copy_rounds": [round(x) for x in copy_rates],
            "whole_bill_rows_per_s": round(ingest_rate),
            "whole_bill_ratio": round(ingest_rate / copy_rate, 3),
        },
    ]


def run() -> list[dict[str, Any]]:
    from django.test import Client

    from costs.bench import _organization
    from costs.bench_tenant import bench_bill_generate, bench_bill_ingest
    from costs.selectors import tag_keys
    from tenants.models import Membership
    from tenants.services.provisioning import organization_delete

    today = datetime.datetime.now(datetime.UTC).date()
    last = today - datetime.timedelta(days=1)
    first = _months_back(last, 11)
    days_generated = (datetime.date(last.year + last.month // 12, last.month % 12 + 1, 1) - first).days
    days_used = (last - first).days + 1
    asked = math.ceil(ROWS * days_generated / days_used)  # the generator sizes by whole months
    figures: list[dict[str, Any]] = []
    organization = _organization(SLUG)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
            bill = bench_bill_generate(
                folder=Path(tmp), rows=asked, months=12, start=f"{first:%Y-%m}", until=last.isoformat()
            )
            _log(f"generated in {bill.seconds:.0f} s; ingesting")
            rows, ingest_seconds = bench_bill_ingest(organization=organization, periods=bill.periods)
            ingest_rate = rows / ingest_seconds
            _log(f"{rows:,} rows ingested in {ingest_seconds:.0f} s ({ingest_rate:,.0f} rows/s)")
            with tenant_context(organization), connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            connection.set_schema_to_public()  # type: ignore[attr-defined]

            owner = Membership.objects.filter(organization=organization).first().user  # type: ignore[union-attr]
            client = Client(HTTP_HOST=f"{organization.slug}.localhost")
            client.force_login(owner)
            with tenant_context(organization):
                keys = tag_keys()
                tag_key = TAG_KEY if TAG_KEY in keys else keys[0]
                questions = Questions(today=today, service=_biggest_service(), tag_key=tag_key)
                shape = _cardinalities()
            _log(f"tenant: {shape}; service {questions.service!r}, tag key {tag_key!r}")
            figures.append(
                {
                    "bench": "explorer_tenant",
                    "value": shape["line_items"],
                    "unit": "line items",
                    "baseline": None,
                    "ratio": None,
                    **shape,
                    "generate_seconds": round(bill.seconds, 1),
                    "ingest_seconds": round(ingest_seconds, 1),
                    "ingest_rows_per_s": round(ingest_rate),
                }
            )
            for name, url in questions.urls.items():
                _log(f"{name}: {REQUESTS} requests of {url}")
                times = _measure(client, url)
                connection.set_schema_to_public()  # type: ignore[attr-defined]
                with tenant_context(organization):
                    runs = [_timed(functools.partial(questions.baseline, name))[0] for _ in range(BASELINE_RUNS)]
                baseline = statistics.median(runs)
                p50, p95 = statistics.median(times), _percentile(times, 0.95)
                figure: dict[str, Any] = {
                    "bench": f"explorer_{name}",
                    "value": round(p95, 1),
                    "unit": "ms p95",
                    "baseline": round(baseline, 1),
                    "ratio": round(p95 / baseline, 4),
                    "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1),
                    "requests": len(times),
                    "speedup_p50": round(baseline / p50, 1),
                    "target_p95_ms": TARGETS_MS[name],
                    "meets_target": p95 < TARGETS_MS[name],
                    "url": url,
                }
                if name == "by_service":
                    figure["target_speedup"] = SPEEDUP_TARGET
                    figure["meets_target"] = figure["meets_target"] and baseline / p50 >= SPEEDUP_TARGET
                figures.append(figure)
                _log(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, baseline {baseline:.0f} ms")
            with tenant_context(organization):
                agree = _answers_agree(questions)
            figures.append(
                {
                    "bench": "explorer_answers_agree",
                    "value": all(agree.values()),
                    "unit": "pages equal plain queries",
                    "baseline": None,
                    "ratio": None,
                    **agree,
                }
            )
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            biggest = max(bill.periods, key=lambda p: int(p["rows"]))
            figures += _ingest_figures(biggest, ingest_rate)
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        organization_delete(organization=organization)
    return figures
