"""Two runs of one organization at once (an ingestion's and a manual one) queue up instead of colliding."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from costs.monitoring.apps import _run_after_ingestion
from costs.monitoring.models import Anomaly, Monitor, MonitorDimension, MonitoringRun
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import crafted_bill, day_of
from costs.signals import ingestion_succeeded

RECEIVER_UID = "monitoring-run-after-ingestion"


@contextmanager
def no_run_after_ingestion() -> Iterator[None]:
    """Ingest without queueing the after-ingestion run: the test's worker would run it beside ours."""
    ingestion_succeeded.disconnect(dispatch_uid=RECEIVER_UID)
    try:
        yield
    finally:
        ingestion_succeeded.connect(_run_after_ingestion, dispatch_uid=RECEIVER_UID)


def test_simultaneous_runs_both_succeed_and_store_each_anomaly_once(committed_org: Any, tmp_path: Path) -> None:
    acme = committed_org("acme")
    with no_run_after_ingestion():
        call_command(
            "ingest_file", "--org", "acme", str(crafted_bill(tmp_path / "bill.csv", days=112)), stdout=StringIO()
        )
    with tenant_context(acme.organization):
        Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
        Monitor.objects.create(name="Services", dimension=MonitorDimension.SERVICE)
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with tenant_context(acme.organization):
                start.wait()
                monitoring_run(trigger="test", today=day_of(110))
        except Exception as error:  # noqa: BLE001 (any failure is the finding; asserted below)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with tenant_context(acme.organization):
        assert list(MonitoringRun.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]
        assert Anomaly.objects.count() == 2  # the total and EC2, once each
