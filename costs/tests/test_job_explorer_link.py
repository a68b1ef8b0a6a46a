"""A finished ingestion job links straight to the explorer for the periods it delivered."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.db import connection

from costs.models import IngestionJob
from costs.tests.test_ingest_support import FOCUS_SMALL


def test_a_succeeded_job_links_to_the_explorer_over_its_billing_periods(org_a: Any, client_for: Any) -> None:
    call_command("ingest_file", "--org", "acme", str(FOCUS_SMALL), stdout=io.StringIO())
    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    job = IngestionJob.objects.get()
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    client = client_for(org_a.viewer, org_a)
    state = client.get(f"/cloud-accounts/jobs/{job.pk}/progress.json").json()
    assert state["explorer_url"] == "/costs/?start=2025-02-01&end=2025-03-31&granularity=month"
    page = client.get(f"/cloud-accounts/jobs/{job.pk}/")
    assert b"See 2025-02, 2025-03 in the cost explorer" in page.content
    explorer = client.get(state["explorer_url"])
    assert explorer.status_code == 200 and explorer.context["breakdown"].totals
