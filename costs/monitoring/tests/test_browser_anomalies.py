"""In a real browser: the anomaly list, an anomaly's page (chart, table, root cause), and feedback."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from costs.monitoring.models import Anomaly, Monitor, MonitorDimension
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import crafted_bill, day_of
from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def test_a_member_goes_from_the_list_to_an_anomaly_and_marks_it_expected(
    live_server: Any, settings: Any, committed_org: Any, tmp_path: Path
) -> None:
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    acme = committed_org("acme")
    call_command("ingest_file", "--org", "acme", str(crafted_bill(tmp_path / "bill.csv", days=112)), stdout=StringIO())
    with tenant_context(acme.organization):
        Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
        monitoring_run(trigger="test", today=day_of(110))
        anomaly = Anomaly.objects.get()
    base = f"http://acme.localhost:{settings.PUBLIC_PORT}"

    with chromium() as browser:
        page = browser.new_page()
        failed: list[str] = []  # the browser asks for /favicon.ico by itself; nothing else may fail
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        page.goto(handoff_url_create(user=acme.viewer, organization=acme.organization))
        page.goto(f"{base}/anomalies/?status=open")
        page.click(f"a[href='/anomalies/{anomaly.pk}/']")
        page.wait_for_url(f"**/anomalies/{anomaly.pk}/")
        assert page.is_visible("svg.chart polyline")
        assert "i-runaway" in page.inner_text("#root-cause")
        assert "us-west-2" in page.inner_text("#root-cause")
        page.click("text=Daily figures (table)")
        assert page.is_visible("details table")
        page.check("input[value='expected']")
        page.fill("input[name='note']", "monthly load test")
        page.click("button:has-text('Send feedback')")
        page.wait_for_selector("text=feedback is recorded")
        assert "Resolved" in page.inner_text("#anomaly-status")
        assert failed == []
    with tenant_context(acme.organization):
        anomaly.refresh_from_db()
        assert anomaly.status == "resolved"
        assert anomaly.feedback.get().note == "monthly load test"
        assert Monitor.objects.get().suppressions.count() == 1
