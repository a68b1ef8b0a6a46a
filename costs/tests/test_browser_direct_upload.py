"""In a real Chromium, production mode: the upload page posts the file straight to S3 (moto over HTTP), then
creates the job from the key, under the Content-Security-Policy; a file over the limit never leaves the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import IngestionJob
from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser
SAMPLE = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "data"
    / "aws_cur"
    / "legacy_csv"
    / "sample-anonymous-aws-export-dataset.csv"
)


def test_the_browser_uploads_straight_to_s3_and_the_job_follows(
    live_server: Any, settings: Any, committed_org: Any, s3_uploads_bucket: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.upload_ingest, "delay", lambda *args: sent.append(args))
    name, s3 = s3_uploads_bucket
    acme = committed_org("acme")
    base = f"http://acme.localhost:{settings.PUBLIC_PORT}"
    big = tmp_path / "too-big.csv"
    big.write_bytes(SAMPLE.read_bytes() * 3)

    with chromium() as browser:
        page = browser.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda m: (
                problems.append(f"{m.location.get('url')}: {m.text}")
                if m.type == "error" and "favicon" not in str(m.location.get("url"))
                else None
            ),
        )
        s3_requests: list[str] = []
        page.on(
            "request", lambda r: s3_requests.append(r.url) if r.url.startswith(settings.AWS_S3_ENDPOINT_URL) else None
        )
        page.goto(handoff_url_create(user=acme.owner, organization=acme.organization))

        # Over the limit: stopped on the page, nothing sent anywhere.
        settings.COST_UPLOAD_MAX_BYTES = SAMPLE.stat().st_size * 2
        page.goto(f"{base}/cloud-accounts/upload/")
        page.set_input_files("#direct-file", str(big))
        page.click("#upload-form button[type=submit]")
        assert "too-big.csv" in page.inner_text("#upload-status") and "upload limit" in page.inner_text(
            "#upload-status"
        )
        assert s3_requests == []

        # Within it: to S3, then the job page.
        page.set_input_files("#direct-file", str(SAMPLE))
        page.click("#upload-form button[type=submit]")
        page.wait_for_url(f"{base}/cloud-accounts/jobs/**")
        assert problems == []  # no CSP violation (connect-src names the bucket), no script error
        assert len(s3_requests) == 1

    with tenant_context(acme.organization):
        job = IngestionJob.objects.get()
    assert sent == [(job.pk,)]
    (stored,) = s3.list_objects_v2(Bucket=name)["Contents"]
    assert stored["Key"] == f"tenants/{acme.organization.schema_name}/{job.files[0]}"
    assert stored["Key"].endswith("/sample-anonymous-aws-export-dataset.csv")
    assert stored["Size"] == SAMPLE.stat().st_size == job.bytes_total
