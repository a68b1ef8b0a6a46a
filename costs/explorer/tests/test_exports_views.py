"""The Exports page, its JSON status and the download: members request and fetch exports of their own
organization; another organization's users get 404 on every one of them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django_tenants.utils import tenant_context

from costs.explorer.models import ExportStatus, FocusExport
from costs.explorer.tests.focus_export_support import FOCUS_SAMPLE, SAMPLE_PERIOD, db_sums, export_eagerly, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_member_requests_an_export_of_a_billed_period_and_sees_it_queued(org_a: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    client = client_for(org_a.viewer, org_a)
    page = client.get("/costs/exports/")
    assert page.status_code == 200
    assert '<option value="2024-09-01">September 2024</option>' in page.content.decode()

    response = client.post("/costs/exports/", {"billing_period": "2024-09-01", "format": "parquet"})
    assert response.status_code == 302 and response["Location"] == "/costs/exports/"
    with tenant_context(org_a.organization):
        export = FocusExport.objects.get()
    assert (export.billing_period, export.format, export.status) == (SAMPLE_PERIOD, "parquet", ExportStatus.QUEUED)
    assert export.requested_by_id == org_a.viewer.pk
    listed = client.get("/costs/exports/").content.decode()
    assert f'id="export-{export.pk}"' in listed and 'data-active="true"' in listed and "Queued" in listed


def test_a_period_no_bill_delivered_is_refused_with_a_message(org_a: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    client = client_for(org_a.owner, org_a)
    response = client.post("/costs/exports/", {"billing_period": "2023-03-01", "format": "csv"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post("/costs/exports/", {"billing_period": "2024-09-01", "format": "xlsx"})
    assert response.status_code == 400
    with tenant_context(org_a.organization):
        assert not FocusExport.objects.exists()


def test_without_a_bill_the_page_says_what_to_do(org_a: Any, client_for: Any) -> None:
    page = client_for(org_a.owner, org_a).get("/costs/exports/").content.decode()
    assert 'id="export-empty"' in page and "upload a bill" in page and "export-form" not in page


def test_the_status_and_the_download_follow_a_finished_export(org_a: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    export = export_eagerly(org_a, period=SAMPLE_PERIOD, format="parquet")
    client = client_for(org_a.viewer, org_a)

    state = client.get(f"/costs/exports/{export.pk}/status.json").json()
    assert state["status"] == "succeeded" and state["progress"] == 1.0 and not state["active"]
    assert state["rows"] == 999 and state["file_name"] == f"focus-1.2_org_acme_2024-09_{export.pk}.parquet"
    assert state["download_url"] == f"/costs/exports/{export.pk}/download"

    response = client.get(state["download_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{state["file_name"]}"'
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == db_sums(org_a, SAMPLE_PERIOD)["rows"]
    page = client.get("/costs/exports/").content.decode()
    assert f'href="/costs/exports/{export.pk}/download"' in page and 'data-active="false"' in page


def test_an_unfinished_export_has_no_download(org_a: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    client = client_for(org_a.owner, org_a)
    client.post("/costs/exports/", {"billing_period": "2024-09-01", "format": "csv"})
    with tenant_context(org_a.organization):
        export = FocusExport.objects.get()
    assert client.get(f"/costs/exports/{export.pk}/status.json").json()["download_url"] is None
    assert client.get(f"/costs/exports/{export.pk}/download").status_code == 404


def test_another_organization_gets_404_on_the_page_status_and_download(org_a: Any, org_b: Any, client_for: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    export = export_eagerly(org_a, period=SAMPLE_PERIOD, format="csv")
    urls = ["/costs/exports/", f"/costs/exports/{export.pk}/status.json", f"/costs/exports/{export.pk}/download"]
    owner = client_for(org_a.owner, org_a)
    assert [owner.get(url).status_code for url in urls] == [200, 200, 200]
    # A stranger on acme's host, and on their own host asking for acme's export id.
    stranger = client_for(org_b.owner, org_a)
    assert [stranger.get(url).status_code for url in urls] == [404, 404, 404]
    assert stranger.post(urls[0], {"billing_period": "2024-09-01", "format": "csv"}).status_code == 404
    at_home = client_for(org_b.owner, org_b)
    assert [at_home.get(url).status_code for url in urls[1:]] == [404, 404]
    anonymous = client_for(None, org_a)
    assert all(anonymous.get(url).status_code in (302, 404) for url in urls)
