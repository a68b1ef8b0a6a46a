"""Accounts pages: sources, add/edit (admins only), test connection, check now, jobs, template download."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostSource, IngestionJob, JobStatus, JobTrigger, SourceKind
from costs.services.sources import source_create
from costs.tests.conftest import ROLE_ARN

FORM = {
    "name": "Payer",
    "role_arn": ROLE_ARN,
    "bucket": "acme-billing",
    "export_prefix": "/cur/",
    "export_name": "daily",
    "format": "cur2",
}


def make_source(world: Any, export_name: str = "daily") -> CostSource:
    with tenant_context(world.organization):
        values = {k: v for k, v in FORM.items() if k not in ("export_prefix", "export_name")}
        return source_create(**values, prefix="cur", export_name=export_name)


def make_job(world: Any, source: CostSource, **values: Any) -> IngestionJob:
    with tenant_context(world.organization):
        return IngestionJob.objects.create(
            source=source, trigger=JobTrigger.MANUAL, files=["cur/daily/x.csv.gz"], **values
        )


@pytest.mark.parametrize("path", ["/cloud-accounts/", "/cloud-accounts/add/", "/cloud-accounts/cloudformation.json"])
def test_strangers_get_404_and_anonymous_visitors_sign_in(path: str, org_a: Any, org_b: Any, client_for: Any) -> None:
    assert client_for(org_b.owner, org_a).get(path).status_code == 404
    response = client_for(None, org_a).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_accounts_page_lists_sources_and_shows_our_external_id(org_a: Any, org_b: Any, client_for: Any) -> None:
    make_source(org_a)
    response = client_for(org_a.admin, org_a).get("/cloud-accounts/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "s3://acme-billing/cur/daily/" in body
    assert org_a.organization.external_id in body
    assert org_b.organization.external_id not in body
    assert "quickcreate?templateURL=" in body
    assert "Add AWS account" in body


def test_viewers_see_sources_but_not_the_linking_controls(org_a: Any, client_for: Any) -> None:
    make_source(org_a)
    body = client_for(org_a.viewer, org_a).get("/cloud-accounts/").content.decode()
    assert "s3://acme-billing/cur/daily/" in body
    assert "Add AWS account" not in body


def test_an_admin_links_an_aws_export(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.admin, org_a).post("/cloud-accounts/add/", FORM)
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        source = CostSource.objects.get(kind=SourceKind.AWS_S3)
    assert (source.prefix, source.payer_account_id, source.format) == ("cur", "123456789012", "cur2")
    assert response["Location"] == f"/cloud-accounts/sources/{source.pk}/"


def test_a_viewer_cannot_link_an_account(org_a: Any, client_for: Any) -> None:
    viewer = client_for(org_a.viewer, org_a)
    assert viewer.get("/cloud-accounts/add/").status_code == 403
    assert viewer.post("/cloud-accounts/add/", FORM).status_code == 403
    with tenant_context(org_a.organization):
        assert not CostSource.objects.exists()


def test_bad_settings_are_explained_field_by_field(org_a: Any, client_for: Any) -> None:
    bad = {**FORM, "role_arn": "arn:aws:iam::123456789012:role/Admin", "bucket": "s3://acme-billing/reports"}
    response = client_for(org_a.owner, org_a).post("/cloud-accounts/add/", bad)
    body = response.content.decode()
    assert response.status_code == 200
    assert "must be created under the IAM path /finops-readonly/" in body
    assert "enter the bucket name only (without s3://)" in body


def test_a_source_name_with_a_line_break_is_a_form_error(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.owner, org_a).post("/cloud-accounts/add/", {**FORM, "name": "Payer\r\nX: 1"})
    assert response.status_code == 200
    assert "control character (U+000D)" in response.content.decode()
    with tenant_context(org_a.organization):
        assert not CostSource.objects.filter(kind=SourceKind.AWS_S3).exists()


def test_source_page_shows_the_job_history_and_scoped_ids(org_a: Any, org_b: Any, client_for: Any) -> None:
    source = make_source(org_a)
    make_job(org_a, source, status=JobStatus.FAILED, error="daily-1.csv.gz: row 7, column lineItem/UnblendedCost: bad")
    make_job(org_a, source, status=JobStatus.SUCCEEDED, rows=1281)
    response = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/sources/{source.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "row 7, column lineItem/UnblendedCost" in body
    assert "1,281" in body
    assert client_for(org_b.owner, org_a).get(f"/cloud-accounts/sources/{source.pk}/").status_code == 404
    # An id that exists only in the other organization's schema is not found here.
    other = make_source(org_b)
    for n in range(3):
        make_source(org_b, export_name=f"export-{n}")
    assert client_for(org_a.owner, org_a).get(f"/cloud-accounts/sources/{other.pk + 3}/").status_code == 404


def test_edit_source_clears_the_old_check_result(org_a: Any, client_for: Any) -> None:
    source = make_source(org_a)
    with tenant_context(org_a.organization):
        CostSource.objects.filter(pk=source.pk).update(last_check_ok=True, last_check_message="Connected")
    response = client_for(org_a.admin, org_a).post(
        f"/cloud-accounts/sources/{source.pk}/edit/", {**FORM, "bucket": "new-bucket", "is_active": ""}
    )
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        source.refresh_from_db()
    assert (source.bucket, source.is_active, source.last_check_ok) == ("new-bucket", False, None)
    assert client_for(org_a.viewer, org_a).post(f"/cloud-accounts/sources/{source.pk}/edit/", FORM).status_code == 403


def test_test_connection_shows_the_outcome(aws: Any, org_a: Any, client_for: Any) -> None:
    source = make_source(org_a)
    client = client_for(org_a.admin, org_a)
    response = client.post(f"/cloud-accounts/sources/{source.pk}/test/", follow=True)
    assert "Bucket acme-billing does not exist" in response.content.decode()
    with tenant_context(org_a.organization):
        source.refresh_from_db()
    assert source.last_check_ok is False
    assert client_for(org_a.viewer, org_a).post(f"/cloud-accounts/sources/{source.pk}/test/").status_code == 403


def test_check_now_queues_the_task_on_commit(
    org_a: Any, client_for: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    source = make_source(org_a)
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.source_check, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(org_a.admin, org_a).post(f"/cloud-accounts/sources/{source.pk}/check/")
    assert response.status_code == 302
    assert sent == []  # nothing is sent before the request's transaction commits
    for callback in callbacks:
        callback()
    assert sent == [(source.pk, "manual")]
    assert client_for(org_a.viewer, org_a).post(f"/cloud-accounts/sources/{source.pk}/check/").status_code == 403


def test_job_page_and_progress_json_are_scoped(org_a: Any, org_b: Any, client_for: Any) -> None:
    source = make_source(org_a)
    job = make_job(org_a, source, status=JobStatus.RUNNING, bytes_total=1000, bytes_done=250, rows=42)
    member = client_for(org_a.viewer, org_a)

    page = member.get(f"/cloud-accounts/jobs/{job.pk}/")
    assert page.status_code == 200
    assert 'data-active="true"' in page.content.decode()
    assert "js/job_progress.js" in page.content.decode()

    state = member.get(f"/cloud-accounts/jobs/{job.pk}/progress.json").json()
    assert (state["status"], state["progress"], state["rows"], state["active"]) == ("running", 0.25, 42, True)

    assert client_for(org_b.owner, org_a).get(f"/cloud-accounts/jobs/{job.pk}/progress.json").status_code == 404
    assert client_for(None, org_a).get(f"/cloud-accounts/jobs/{job.pk}/progress.json").status_code == 302
    # org_b has a job with an id org_a does not have: org_a's members cannot reach it.
    other_source = make_source(org_b)
    other = [make_job(org_b, other_source) for _ in range(2)][-1]
    assert client_for(org_a.owner, org_a).get(f"/cloud-accounts/jobs/{other.pk}/progress.json").status_code == 404
    assert client_for(org_a.owner, org_a).get(f"/cloud-accounts/jobs/{other.pk}/").status_code == 404


def test_cloudformation_download_carries_this_organizations_external_id(
    org_a: Any, org_b: Any, client_for: Any
) -> None:
    response = client_for(org_a.viewer, org_a).get(
        "/cloud-accounts/cloudformation.json?bucket=acme-billing&prefix=cur/"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="finops-readonly-role.json"'
    body = response.content.decode()
    template = json.loads(body)
    assert template["Parameters"]["ExternalId"]["Default"] == org_a.organization.external_id
    assert template["Parameters"]["BucketName"]["Default"] == "acme-billing"
    assert template["Parameters"]["ExportPrefix"]["Default"] == "cur"
    assert org_b.organization.external_id not in body
