"""Through a real Celery worker process: an export requested on the page is written by the worker (never in
the request), its status reaches done with progress 1, and the download holds the period's line items."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pyarrow.csv as pa_csv
import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from costs.explorer.models import FocusExport
from costs.explorer.tests.focus_export_support import FOCUS_SAMPLE, SAMPLE_PERIOD, db_sums, ingest

pytestmark = [pytest.mark.worker]


def wait_for(what: str, condition: Callable[[], Any], seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_the_worker_writes_a_requested_export_and_its_status_reaches_done(
    committed_org: Any, celery_worker_process: Any, client_for: Any
) -> None:
    acme = committed_org("acme")
    ingest(acme, FOCUS_SAMPLE)
    client = client_for(acme.admin, acme)

    response = client.post("/costs/exports/", {"billing_period": "2024-09-01", "format": "csv"})
    assert response.status_code == 302
    with tenant_context(acme.organization):
        export = FocusExport.objects.get()
    status_url = f"/costs/exports/{export.pk}/status.json"

    def finished() -> dict[str, Any] | None:
        state = client.get(status_url).json()
        return None if state["active"] else state

    state = wait_for("the worker to finish the export", finished)
    try:
        assert state["status"] == "succeeded", state["error"]
        assert state["progress"] == 1.0
        with tenant_context(acme.organization):
            export.refresh_from_db()
        assert export.celery_task_id  # queued through the broker, on commit
        body = b"".join(client.get(state["download_url"]).streaming_content)
        table = pa_csv.read_csv(io.BytesIO(body))
        expected = db_sums(acme, SAMPLE_PERIOD)
        assert table.num_rows == state["rows"] == expected["rows"]
    finally:
        with tenant_context(acme.organization):
            export.refresh_from_db()
            if export.file_key:  # the worker wrote under the default MEDIA_ROOT
                default_storage.delete(export.file_key)
