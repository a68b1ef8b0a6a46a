"""FOCUS export in a real browser, written by a real Celery worker: request it, watch the progress bar go
from queued to done without a reload, download the file."""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from costs.explorer.models import FocusExport
from costs.explorer.tests.focus_export_support import FOCUS_SAMPLE, SAMPLE_PERIOD, db_sums, ingest
from finops.celery import app
from finops.queues import Queue
from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_member_exports_a_period_watches_it_finish_and_downloads_it(
    live_server: Any, settings: Any, committed_org: Any, celery_worker_process: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    acme = committed_org("acme")
    ingest(acme, FOCUS_SAMPLE)
    sign_in = handoff_url_create(user=acme.viewer, organization=acme.organization)
    base = f"http://acme.localhost:{settings.PUBLIC_PORT}"
    export: FocusExport | None = None

    # The worker stops taking exports until the page has shown the queued one, so the test sees the page
    # follow the job live (a small export would otherwise be done before the page loads).
    app.control.cancel_consumer(Queue.INGEST.value, reply=True)
    try:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(sign_in)
            page.goto(f"{base}/costs/")
            page.click("#focus-exports")
            page.wait_for_url("**/costs/exports/")
            page.select_option("#id_billing_period", "2024-09-01")
            page.check("input[name=format][value=parquet]")
            page.click("#export-form button[type=submit]")
            page.wait_for_selector(".export-row[data-active='true']")
            with tenant_context(acme.organization):
                export = FocusExport.objects.get()
            row = f"#export-{export.pk}"
            assert page.inner_text(f"{row} .export-status") == "Queued"
            assert page.inner_text(f"{row} .export-percent") == "0%"
            assert not page.is_visible(f"{row} .export-download")

            app.control.add_consumer(Queue.INGEST.value, reply=True)
            # Selectors, not wait_for_function: the strict CSP forbids the eval that a string predicate needs.
            page.wait_for_selector(f"{row} .export-status:text-is('Ready')", timeout=60_000)
            assert page.get_attribute(f"{row} .export-progress", "value") == "1"
            assert page.inner_text(f"{row} .export-percent") == "100%"
            assert page.inner_text(f"{row} .export-rows") == "999"
            assert not page.is_visible(f"{row} .export-error")

            with page.expect_download() as download_info:
                page.click(f"{row} .export-download")
            download = download_info.value
            assert download.suggested_filename == f"focus-1.2_org_acme_2024-09_{export.pk}.parquet"
            table = pq.read_table(download.path())
            assert table.num_rows == db_sums(acme, SAMPLE_PERIOD)["rows"]
    finally:
        app.control.add_consumer(Queue.INGEST.value, reply=True)
        if export is not None:
            with tenant_context(acme.organization):
                export.refresh_from_db()
                if export.file_key:  # the worker wrote under the default MEDIA_ROOT
                    default_storage.delete(export.file_key)
