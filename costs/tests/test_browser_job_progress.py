"""The job page's progress bar moves by itself in a real browser while the job runs; notes and warnings appear when it ends."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from costs.ingest.jobs import job_create
from costs.models import CostSource, IngestionJob, JobStatus, JobTrigger
from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def test_the_progress_bar_follows_a_running_job_and_shows_the_outcome(
    live_server: Any, settings: Any, committed_org: Any
) -> None:
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    acme = committed_org("acme")
    with tenant_context(acme.organization):
        job = job_create(source=CostSource.objects.uploads(), trigger=JobTrigger.UPLOAD, files=["uploads/cur.csv.gz"])
        IngestionJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, bytes_total=4000, bytes_done=0)
    sign_in = handoff_url_create(user=acme.owner, organization=acme.organization)

    with chromium() as browser:
        page = browser.new_page()
        page.goto(sign_in)
        page.goto(f"http://acme.localhost:{settings.PUBLIC_PORT}/cloud-accounts/jobs/{job.pk}/")
        assert page.inner_text("#job-status") == "Running"
        assert page.inner_text("#job-percent") == "0%"

        with tenant_context(acme.organization):
            IngestionJob.objects.filter(pk=job.pk).update(bytes_done=1000, rows=25_000)
        # Locator expectations, not wait_for_function: its polling evals, which the page's CSP forbids.
        expect(page.locator("#job-percent")).to_have_text("25%", timeout=10_000)
        assert page.eval_on_selector("#job-progress", "el => el.value") == pytest.approx(0.25)

        with tenant_context(acme.organization):
            IngestionJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, bytes_done=2000, error="cur.csv.gz: row 12, column cost: not a number"
            )
        expect(page.locator("#job-status")).to_have_text("Failed", timeout=10_000)
        assert "row 12, column cost" in page.inner_text("#job-error")
        assert page.is_visible("#job-error")

        # A job that succeeds with notes and warnings: they appear without a reload.
        with tenant_context(acme.organization):
            second = job_create(source=CostSource.objects.uploads(), trigger=JobTrigger.UPLOAD, files=["x.csv"])
            IngestionJob.objects.filter(pk=second.pk).update(status=JobStatus.RUNNING, bytes_total=10)
        page.goto(f"http://acme.localhost:{settings.PUBLIC_PORT}/cloud-accounts/jobs/{second.pk}/")
        assert not page.is_visible("#job-warnings-box")
        warning = {"file": "x.csv", "row": 7, "column": "BilledCost", "value": "<b>1e15</b>", "message": "implausible"}
        with tenant_context(acme.organization):
            IngestionJob.objects.filter(pk=second.pk).update(
                status=JobStatus.SUCCEEDED, notes=["x.csv, column ListCost: 2 null token(s)"], warnings=[warning]
            )
        page.wait_for_selector("#job-warnings-box", state="visible", timeout=10_000)
        assert page.inner_text("#job-warnings tr").split("\t") == [
            "x.csv",
            "7",
            "BilledCost",
            "<b>1e15</b>",
            "implausible",
        ]
        assert page.inner_text("#job-notes") == "x.csv, column ListCost: 2 null token(s)"
