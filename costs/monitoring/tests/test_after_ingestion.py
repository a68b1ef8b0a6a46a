"""A succeeded ingestion starts a monitoring run once its transaction commits (and not before)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django_tenants.utils import tenant_context

from costs.monitoring.models import Anomaly, MonitoringRun
from costs.monitoring.tests.conftest import crafted_bill


def test_an_ingestion_runs_detection_with_default_monitors_after_commit(
    org_a: Any, tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Eager here: the point is the wiring (signal on commit -> tenant task -> run); the worker
    # itself is exercised by the costs ingestion tests.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from finops.celery import app

    app.conf.task_always_eager = True
    try:
        # In production the callback runs when the job's transaction commits, inside the
        # organization's schema; the captured callbacks run at the block's end, so stay in it.
        with tenant_context(org_a.organization), django_capture_on_commit_callbacks(execute=True):
            call_command(
                "ingest_file", "--org", "acme", str(crafted_bill(tmp_path / "b.csv", days=102)), stdout=StringIO()
            )
    finally:
        app.conf.task_always_eager = False
    with tenant_context(org_a.organization):
        run = MonitoringRun.objects.get()
        assert run.trigger == "ingestion" and run.status == "succeeded" and run.series >= 5
        assert Anomaly.objects.filter(dimension_value="").exists()
