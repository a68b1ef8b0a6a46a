"""Uploads in production mode: the browser posts the file straight to S3 (presigned POST), never through us.

S3 is the local moto server, spoken to over HTTP exactly as a browser would (multipart POST
of the policy fields, the key, then the file). moto 5.x does not evaluate POST policies: it
stores whatever is posted, `content-length-range` included (checked: moto/s3/responses.py
`_bucket_response_post` reads only the key and the body). So the limit is proved twice
here: the signed policy document carries `content-length-range` with the limit (what AWS
enforces, answering 400 EntityTooLarge), and an object over the limit that reaches the
bucket anyway is refused and deleted when the page asks for its ingestion.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostSource, DailyCostRollup, IngestionJob, JobStatus

SAMPLE = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "data"
    / "aws_cur"
    / "legacy_csv"
    / "sample-anonymous-aws-export-dataset.csv"
)


def direct_config(response: Any) -> dict[str, Any]:
    match = re.search(r'<script id="direct-upload" type="application/json">(.*?)</script>', response.content.decode())
    assert match, "the upload page carries no presigned POST"
    return dict(json.loads(match.group(1)))


def post_to_s3(config: dict[str, Any], name: str, content: bytes) -> requests.Response:
    """What static/js/direct_upload.js does: the policy fields, the key, then the file."""
    key = config["key_prefix"] + name
    data = {**config["fields"], "key": key}
    return requests.post(config["url"], data=data, files={"file": (name, content)}, timeout=30)


def policy_of(config: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(config["fields"]["policy"])))


def test_a_bill_posted_straight_to_s3_is_ingested(
    org_a: Any, client_for: Any, s3_uploads_bucket: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    name, s3 = s3_uploads_bucket
    client = client_for(org_a.owner, org_a)
    page = client.get("/cloud-accounts/upload/")
    assert page.status_code == 200
    config = direct_config(page)
    assert config["key_prefix"].startswith(f"tenants/{org_a.organization.schema_name}/uploads/")
    assert f"connect-src 'self' {settings.AWS_S3_ENDPOINT_URL};" in page["Content-Security-Policy"]

    answer = post_to_s3(config, "nov-2023.csv", SAMPLE.read_bytes())
    assert answer.status_code == 204, answer.text
    key = config["key_prefix"] + "nov-2023.csv"
    assert s3.head_object(Bucket=name, Key=key)["ContentLength"] == SAMPLE.stat().st_size

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.upload_ingest, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/cloud-accounts/upload/complete/", {"key": key, "format": "auto"})
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        job = IngestionJob.objects.get()
        assert response["Location"] == f"/cloud-accounts/jobs/{job.pk}/"
        assert job.files == [key.split("/", 2)[2]]  # the storage's name, under the organization's prefix
        assert sent == [(job.pk,)]
        tasks.upload_ingest.apply(args=sent[0]).get()
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.error
        rows = list(csv.DictReader(io.StringIO(SAMPLE.read_text())))
        assert job.rows == len(rows)
        total = sum((Decimal(r["lineItem/UnblendedCost"]) for r in rows), Decimal(0))
        uploads = CostSource.objects.uploads()
        assert DailyCostRollup.objects.filter(source=uploads).aggregate(t=Sum("unblended_cost"))["t"] == total

    # The same key again is not a second job.
    again = client.post("/cloud-accounts/upload/complete/", {"key": key, "format": "auto"})
    assert again.status_code == 400 and "already received" in again.content.decode()


def test_the_signed_policy_limits_size_and_key_and_a_bigger_object_is_refused(
    org_a: Any, client_for: Any, s3_uploads_bucket: Any, settings: Any
) -> None:
    name, s3 = s3_uploads_bucket
    settings.COST_UPLOAD_MAX_BYTES = 1024 * 1024
    client = client_for(org_a.owner, org_a)
    config = direct_config(client.get("/cloud-accounts/upload/"))
    assert config["max_bytes"] == 1024 * 1024
    conditions = policy_of(config)["conditions"]
    assert ["content-length-range", 1, 1024 * 1024] in conditions  # AWS refuses a bigger body: 400 EntityTooLarge
    assert ["starts-with", "$key", config["key_prefix"]] in conditions
    assert {"bucket": name} in conditions

    answer = post_to_s3(config, "big.csv", b"x" * (1024 * 1024 + 64 * 1024))
    if answer.status_code == 400:  # an S3 that enforces the policy (AWS)
        assert "EntityTooLarge" in answer.text
        return
    assert answer.status_code == 204  # moto stores it anyway (see the module docstring)
    key = config["key_prefix"] + "big.csv"
    response = client.post("/cloud-accounts/upload/complete/", {"key": key, "format": "auto"})
    assert response.status_code == 400
    assert "big.csv: 1.1 MB is larger than the 1 MB upload limit" in response.content.decode()
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0  # the refused object is deleted
    with tenant_context(org_a.organization):
        assert not IngestionJob.objects.exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("tenants/org_globex/uploads/0123/bill.csv", "does not belong to this organization"),
        (
            "tenants/org_acme/uploads/0123/../../org_globex/uploads/0123/bill.csv",
            "does not belong to this organization",
        ),
        ("tenants/org_acme/bill.csv", "does not belong to this organization"),
        ("tenants/org_acme/uploads/0123/sub/bill.csv", "does not belong to this organization"),
        ("tenants/org_acme/uploads/0123/never-posted.csv", "never-posted.csv: the upload did not reach storage"),
        ("tenants/org_acme/uploads/0123/notes.txt", "only .csv, .csv.gz and .parquet"),
    ],
)
def test_keys_outside_the_organizations_uploads_are_refused(
    org_a: Any, org_b: Any, client_for: Any, s3_uploads_bucket: Any, key: str, message: str
) -> None:
    name, s3 = s3_uploads_bucket
    # Another organization's object, and files that exist, so only the key's place is at fault.
    for existing in (
        "tenants/org_globex/uploads/0123/bill.csv",
        "tenants/org_acme/bill.csv",
        "tenants/org_acme/uploads/0123/sub/bill.csv",
        "tenants/org_acme/uploads/0123/notes.txt",
    ):
        s3.put_object(Bucket=name, Key=existing, Body=b"a,b\n1,2\n")
    response = client_for(org_a.owner, org_a).post("/cloud-accounts/upload/complete/", {"key": key, "format": "auto"})
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(org_a.organization):
        assert not IngestionJob.objects.exists()
    assert s3.head_object(Bucket=name, Key="tenants/org_globex/uploads/0123/bill.csv")  # untouched


def test_only_managers_complete_uploads_and_strangers_get_404(
    org_a: Any, org_b: Any, client_for: Any, s3_uploads_bucket: Any
) -> None:
    data = {"key": "tenants/org_acme/uploads/0123/bill.csv", "format": "auto"}
    assert client_for(org_a.viewer, org_a).post("/cloud-accounts/upload/complete/", data).status_code == 403
    assert client_for(org_b.owner, org_a).post("/cloud-accounts/upload/complete/", data).status_code == 404
    assert client_for(org_b.owner, org_a).get("/cloud-accounts/upload/").status_code == 404


def test_in_s3_mode_the_web_tier_takes_no_file(org_a: Any, client_for: Any, s3_uploads_bucket: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, s3 = s3_uploads_bucket
    client = client_for(org_a.owner, org_a)
    big = SimpleUploadedFile("bill.csv", b"x" * (2 * 1024 * 1024))
    response = client.post("/cloud-accounts/upload/", {"file": big, "format": "auto"})
    assert response.status_code == 413  # from the Content-Length: only forms' small bodies come here
    assert "this server takes at most 1 MB per request" in response.content.decode()
    small = SimpleUploadedFile("bill.csv", b"a,b\n1,2\n")
    response = client.post("/cloud-accounts/upload/", {"file": small, "format": "auto"})
    assert response.status_code == 302 and response["Location"] == "/cloud-accounts/upload/"
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0
    with tenant_context(org_a.organization):
        assert not IngestionJob.objects.exists()
