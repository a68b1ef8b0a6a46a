"""The explorer's API: saved views (every member saves; creator or owner/admin renames and deletes; keys
save with no creator and a read-write key manages like an admin) and FOCUS exports (request, status,
download from the organization's storage, 404 until done); another organization sees none of it (404)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django_tenants.utils import tenant_context

from costs.explorer.models import ExportStatus, FocusExport, SavedView
from costs.explorer.tests.focus_export_support import FOCUS_SAMPLE, SAMPLE_PERIOD, db_sums, export_eagerly, ingest
from finops.db import use_public_schema
from finops.testing_api import key_warm, keyed, session
from tenants.models import ApiKeyScope

pytestmark = pytest.mark.django_db

API = "/api/v1"
QUERY = "range=last_30_days&granularity=day&group_by=tag%3Ateam&include.service_name=AWS+Lambda&basis=effective_cost"


@pytest.fixture(autouse=True)
def _no_throttling_and_own_storage(settings: Any, tmp_path: Path) -> None:
    settings.API_THROTTLE_RATES = {}
    settings.MEDIA_ROOT = tmp_path / "media"


def views_of(world: Any) -> list[SavedView]:
    with tenant_context(world.organization):
        return list(SavedView.objects.all())


def test_a_viewer_saves_a_view_everyone_lists_it_and_only_its_creator_or_a_manager_changes_it(org_a: Any) -> None:
    viewer, admin, owner = session(org_a.viewer, org_a), session(org_a.admin, org_a), session(org_a.owner, org_a)
    created = viewer.post(f"{API}/saved-views", {"name": "Lambda by team", "query": QUERY}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    (view,) = views_of(org_a)
    assert body["id"] == view.pk and body["created_by_id"] == org_a.viewer.pk and body["can_change"] is True
    assert "include.service_name=AWS+Lambda" in body["query"] and "basis=effective_cost" in body["query"]

    own_view = owner.post(f"{API}/saved-views", {"name": "Owner's", "query": "range=last_7_days"}, format="json")
    listed = viewer.get(f"{API}/saved-views").json()
    assert listed["count"] == 2
    assert [(row["name"], row["can_change"]) for row in listed["results"]] == [
        ("Lambda by team", True),
        ("Owner's", False),
    ]
    owners_id = own_view.json()["id"]
    assert viewer.get(f"{API}/saved-views/{owners_id}").json()["name"] == "Owner's"
    refused = viewer.patch(f"{API}/saved-views/{owners_id}", {"name": "Mine now"}, format="json")
    assert refused.status_code == 403 and "creator" in refused.json()["error"]["message"]
    assert viewer.delete(f"{API}/saved-views/{owners_id}").status_code == 403

    renamed = viewer.patch(f"{API}/saved-views/{view.pk}", {"name": "Lambda per team"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Lambda per team"
    clash = viewer.patch(f"{API}/saved-views/{view.pk}", {"name": "OWNER'S"}, format="json")
    assert clash.status_code == 400 and "already exists" in clash.json()["error"]["fields"]["name"][0]
    assert admin.patch(f"{API}/saved-views/{view.pk}", {"name": "Admin's pick"}, format="json").status_code == 200
    assert admin.delete(f"{API}/saved-views/{view.pk}").status_code == 204
    assert [v.name for v in views_of(org_a)] == ["Owner's"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Two\nlines", "query": QUERY}, "name"),
        ({"name": "Bell\x07", "query": QUERY}, "name"),
        ({"name": "   ", "query": QUERY}, "name"),
        ({"name": "Bad group", "query": "group_by=nonsense"}, "query"),
        ({"name": "Bad range", "query": "start=2025-02-30&end=2025-03-01"}, "query"),
        ({"query": QUERY}, "name"),
    ],
)
def test_names_with_control_characters_and_questions_the_explorer_refuses_are_400(
    org_a: Any, body: dict[str, str], field: str
) -> None:
    response = session(org_a.owner, org_a).post(f"{API}/saved-views", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert views_of(org_a) == []


def test_a_key_saves_with_no_creator_a_read_write_key_manages_any_view_and_a_read_only_key_only_reads(
    org_a: Any,
) -> None:
    session(org_a.viewer, org_a).post(f"{API}/saved-views", {"name": "Viewer's", "query": QUERY}, format="json")
    (viewers,) = views_of(org_a)
    writer, reader = keyed(org_a, ApiKeyScope.READ_WRITE), keyed(org_a, ApiKeyScope.READ)
    made = writer.post(
        f"{API}/saved-views", {"name": "From CI", "query": "range=last_7_days"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["created_by_id"] is None
    renamed = writer.patch(
        f"{API}/saved-views/{viewers.pk}", {"name": "Renamed by CI"}, content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed by CI"

    assert [row["can_change"] for row in reader.get(f"{API}/saved-views").json()["results"]] == [False, False]
    write_attempts = [
        reader.post(f"{API}/saved-views", {"name": "No", "query": ""}, content_type="application/json"),
        reader.patch(f"{API}/saved-views/{viewers.pk}", {"name": "No"}, content_type="application/json"),
        reader.delete(f"{API}/saved-views/{viewers.pk}"),
    ]
    assert [r.status_code for r in write_attempts] == [403, 403, 403]
    assert writer.delete(f"{API}/saved-views/{viewers.pk}").status_code == 204
    assert [v.name for v in views_of(org_a)] == ["From CI"]


def test_another_organization_sees_none_of_the_saved_views_and_gets_404_on_each(org_a: Any, org_b: Any) -> None:
    with tenant_context(org_a.organization):  # acme's view gets an id globex does not have
        SavedView.objects.bulk_create([SavedView(name=f"gone {n}", query="") for n in range(3)])
        SavedView.objects.all().delete()
    session(org_a.owner, org_a).post(f"{API}/saved-views", {"name": "Acme only", "query": QUERY}, format="json")
    (view,) = views_of(org_a)
    session(org_b.owner, org_b).post(f"{API}/saved-views", {"name": "Globex's", "query": QUERY}, format="json")
    at_home = session(org_b.owner, org_b)
    assert [row["name"] for row in at_home.get(f"{API}/saved-views").json()["results"]] == ["Globex's"]
    for method in ("get", "patch", "delete"):
        response = getattr(at_home, method)(f"{API}/saved-views/{view.pk}", {"name": "x"}, format="json")
        assert response.status_code == 404, (method, response.content)
    stranger_on_acme = session(org_b.owner, org_a)
    assert stranger_on_acme.get(f"{API}/saved-views").status_code == 404
    assert stranger_on_acme.post(f"{API}/saved-views", {"name": "x", "query": ""}, format="json").status_code == 404
    assert keyed(org_b, ApiKeyScope.READ_WRITE).get(f"{API}/saved-views/{view.pk}").status_code == 404
    assert [v.name for v in views_of(org_a)] == ["Acme only"]


def test_the_saved_view_list_costs_the_same_queries_for_three_views_or_thirty(
    org_a: Any, django_assert_max_num_queries: Any
) -> None:
    client = keyed(org_a, ApiKeyScope.READ)
    key_warm(client, f"{API}/saved-views")
    counts = []
    for total in (3, 30):
        with tenant_context(org_a.organization):
            for n in range(SavedView.objects.count(), total):
                SavedView.objects.create(name=f"View {n}", query="range=last_7_days")
        use_public_schema()
        with django_assert_max_num_queries(12) as captured:
            response = client.get(f"{API}/saved-views")
        assert response.json()["count"] == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# FOCUS exports


def test_a_member_requests_an_export_polls_it_and_downloads_the_file_from_storage(org_a: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    viewer = session(org_a.viewer, org_a)
    assert "2024-09" in viewer.get(f"{API}/exports/periods").json()["periods"]
    queued = viewer.post(f"{API}/exports", {"billing_period": "2024-09", "format": "parquet"}, format="json")
    assert queued.status_code == 202, queued.content
    body = queued.json()
    assert (body["billing_period"], body["format"], body["status"], body["active"]) == (
        "2024-09",
        "parquet",
        "queued",
        True,
    )
    assert body["download_url"] is None
    assert viewer.get(f"{API}/exports/{body['id']}/download").status_code == 404  # not written yet
    with tenant_context(org_a.organization):
        assert FocusExport.objects.get(pk=body["id"]).requested_by_id == org_a.viewer.pk

    done = export_eagerly(org_a, period=SAMPLE_PERIOD, format="parquet")
    state = viewer.get(f"{API}/exports/{done.pk}").json()
    assert state["status"] == "succeeded" and not state["active"] and state["rows"] == 999
    assert state["download_url"] == f"{API}/exports/{done.pk}/download"
    listed = viewer.get(f"{API}/exports").json()
    assert [row["id"] for row in listed["results"]] == [done.pk, body["id"]]  # newest first

    download = viewer.get(state["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.apache.parquet"
    assert download["Content-Disposition"] == f'attachment; filename="{state["file_name"]}"'
    table = pq.read_table(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]
    assert table.num_rows == db_sums(org_a, SAMPLE_PERIOD)["rows"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billing_period": "2023-03", "format": "csv"}, "billing_period"),  # no bill delivered it
        ({"billing_period": "2024-09", "format": "xlsx"}, "format"),
        ({"billing_period": "September", "format": "csv"}, "billing_period"),
        ({"billing_period": "2024-09-31", "format": "csv"}, "billing_period"),
    ],
)
def test_an_export_of_a_period_without_a_bill_or_in_an_unknown_format_is_400(
    org_a: Any, body: dict[str, str], field: str
) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    response = keyed(org_a, ApiKeyScope.READ_WRITE).post(f"{API}/exports", body, content_type="application/json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.content
    with tenant_context(org_a.organization):
        assert not FocusExport.objects.exists()


def test_a_read_only_key_reads_exports_but_cannot_request_one(org_a: Any) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    done = export_eagerly(org_a, period=SAMPLE_PERIOD, format="csv")
    reader = keyed(org_a, ApiKeyScope.READ)
    refused = reader.post(f"{API}/exports", {"billing_period": "2024-09"}, content_type="application/json")
    assert refused.status_code == 403
    download = reader.get(f"{API}/exports/{done.pk}/download")
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    header = content.split(b"\r\n", 1)[0].split(b",")
    assert b'"BilledCost"' in header and b'"ChargePeriodStart"' in header


def test_another_organization_sees_none_of_the_exports_and_gets_404_on_status_and_download(
    org_a: Any, org_b: Any
) -> None:
    ingest(org_a, FOCUS_SAMPLE)
    done = export_eagerly(org_a, period=SAMPLE_PERIOD, format="csv")
    at_home = session(org_b.owner, org_b)
    assert at_home.get(f"{API}/exports").json()["count"] == 0
    assert at_home.get(f"{API}/exports/periods").json() == {"periods": []}
    for url in (f"{API}/exports/{done.pk}", f"{API}/exports/{done.pk}/download"):
        assert at_home.get(url).status_code == 404
        assert keyed(org_b, ApiKeyScope.READ_WRITE).get(url).status_code == 404
        assert session(org_b.owner, org_a).get(url).status_code == 404


def test_the_export_list_costs_the_same_queries_for_two_exports_or_twenty(
    org_a: Any, django_assert_max_num_queries: Any
) -> None:
    client = keyed(org_a, ApiKeyScope.READ)
    key_warm(client, f"{API}/exports")
    counts = []
    for total in (2, 20):
        with tenant_context(org_a.organization):
            for _ in range(FocusExport.objects.count(), total):
                FocusExport.objects.create(billing_period=SAMPLE_PERIOD, format="csv", status=ExportStatus.FAILED)
        use_public_schema()
        with django_assert_max_num_queries(12) as captured:
            response = client.get(f"{API}/exports")
        assert response.json()["count"] == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
