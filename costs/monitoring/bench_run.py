"""`make bench ONLY=anomaly_run_seconds`: one monitoring run over an organization with a big bill.

The organization gets BENCH_ANOMALY_ROWS (default 10M) line items over six months through
the real ingestion path (`costs.bench_tenant`); its bill carries, beside the demo company's
tags, a `workload` tag with BENCH_ANOMALY_WORKLOADS (default 160) values. Monitors: total,
each service and each account, each on two cost bases and with and without non-usage
charges (about 170 series), plus each value of the bill's six tag keys, usage and all
charges (about 2 x 187): about 540 series, printed as `series`.

`value` is the wall time of `monitoring_run`: detection of every series, storage, the root
cause of each anomaly it alerts about, budgets. The root causes of the biggest anomalies it
does not alert about (up to ROOT_CAUSES_PER_RUN) are the follow-up task the run queues on
commit; the bench runs that task's work right after and prints its time separately as
`deferred_root_cause_seconds` (with `deferred_root_causes` explained).

`baseline` is one plain GROUP BY of all the line items by day and service: what a single
series would cost if it were computed by scanning line items instead of reading the
rollups (the run judges hundreds of series; it should cost about one such scan or less).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any
from unittest import mock

from django.db import connection
from django_tenants.utils import tenant_context

ROWS = int(os.environ.get("BENCH_ANOMALY_ROWS", "10000000"))
WORKLOADS = int(os.environ.get("BENCH_ANOMALY_WORKLOADS", "160"))
SLUG = "bench-anomaly"
# Tag keys as ingestion stores them (CUR 2.0's `user_` prefix dropped).
TAG_KEYS = ("team", "application", "project", "environment", "cost_center", "workload")


def _log(message: str) -> None:
    print(f"[bench anomaly_run_seconds] {message}", file=sys.stderr, flush=True)


def _monitors() -> None:
    from costs.monitoring.models import Monitor

    for dimension in ("total", "service", "account"):
        for basis in ("billed_cost", "effective_cost"):
            for usage_only in (True, False):
                Monitor.objects.create(
                    name=f"{dimension} {basis} {usage_only}",
                    dimension=dimension,
                    cost_basis=basis,
                    usage_only=usage_only,
                )
    for key in TAG_KEYS:
        for usage_only in (True, False):
            Monitor.objects.create(name=f"tag {key} {usage_only}", dimension="tag", tag_key=key, usage_only=usage_only)


def run() -> list[dict[str, Any]]:
    from costs.bench_tenant import bench_bill_organization
    from costs.monitoring import tasks
    from costs.monitoring.services.runs import monitoring_run, run_root_causes_fill
    from tenants.services.provisioning import organization_delete

    bill = bench_bill_organization(slug=SLUG, rows=ROWS, months=6, start="2025-01", workloads=WORKLOADS)
    try:
        with tenant_context(bill.organization):
            _monitors()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            _log("monitoring run")
            queued: list[int] = []
            # The follow-up the run queues on commit is captured and run here, timed on its own.
            with mock.patch.object(tasks.root_causes_fill, "delay", side_effect=queued.append):
                began = time.perf_counter()
                run = monitoring_run(trigger="bench")
                seconds = time.perf_counter() - began
            _log(f"{run.series} series, {run.anomalies_new} anomalies, through {run.through}: {seconds:.2f} s")
            began = time.perf_counter()
            deferred = sum(run_root_causes_fill(run_id=run_id) for run_id in queued)
            deferred_seconds = time.perf_counter() - began
            _log(f"follow-up: {deferred} root causes in {deferred_seconds:.2f} s")
            began = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT (charge_period_start AT TIME ZONE 'UTC')::date, service_name, SUM(billed_cost) "
                    "FROM costs_costlineitem GROUP BY 1, 2"
                )
                cursor.fetchall()
            scan = time.perf_counter() - began
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        organization_delete(organization=bill.organization)
    return [
        {
            "bench": "anomaly_run_seconds",
            "value": round(seconds, 2),
            "unit": "s",
            "baseline": round(scan, 2),
            "ratio": round(seconds / scan, 3) if scan else None,
            "series": run.series,
            "line_items": bill.rows,
            "anomalies": run.anomalies_new,
            "deferred_root_cause_seconds": round(deferred_seconds, 2),
            "deferred_root_causes": deferred,
            "ingest_seconds": round(bill.ingest_seconds, 1),
        }
    ]
