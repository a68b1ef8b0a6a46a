"""Browser upload, end to end in one process: page → stored file → task → job page and totals."""

from __future__ import annotations

import csv
import gzip
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostSource, DailyCostRollup, IngestionJob, JobStatus, JobTrigger, SourceKind

SAMPLE = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "data"
    / "aws_cur"
    / "legacy_csv"
    / "sample-anonymous-aws-export-dataset.csv"
)


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def run_on_commit(monkeypatch: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Upload tasks run in this process, inside the organization, once the request commits."""

    def run(world: Any, do: Any) -> Any:
        sent: list[tuple[Any, ...]] = []
        monkeypatch.setattr(tasks.upload_ingest, "delay", lambda *args: sent.append(args))
        with django_capture_on_commit_callbacks(execute=True):
            response = do()
        with tenant_context(world.organization):
            for args in sent:
                tasks.upload_ingest.apply(args=args).get()
        return response, sent

    return run


def sample_total() -> tuple[Decimal, int]:
    rows = list(csv.DictReader(io.StringIO(SAMPLE.read_text())))
    return sum((Decimal(r["lineItem/UnblendedCost"]) for r in rows), Decimal(0)), len(rows)


def test_an_uploaded_cur_is_stored_for_the_organization_and_ingested(
    org_a: Any, client_for: Any, run_on_commit: Any, media: Path
) -> None:
    client = client_for(org_a.owner, org_a)
    upload = SimpleUploadedFile("nov-2023.csv.gz", gzip.compress(SAMPLE.read_bytes()))

    response, sent = run_on_commit(
        org_a, lambda: client.post("/cloud-accounts/upload/", {"file": upload, "format": "auto"})
    )

    assert response.status_code == 302
    with tenant_context(org_a.organization):
        job = IngestionJob.objects.get()
        assert (job.source.kind, job.source.name, job.trigger) == (SourceKind.UPLOAD, "Uploads", JobTrigger.UPLOAD)
        assert response["Location"] == f"/cloud-accounts/jobs/{job.pk}/"
        assert sent == [(job.pk,)]  # the format travels on the job
        assert job.format == "auto"
        stored = list(media.glob(f"tenants/{org_a.organization.schema_name}/uploads/*/nov-2023.csv.gz"))
        assert len(stored) == 1
        total, rows = sample_total()
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.rows == rows
        uploads = CostSource.objects.uploads()
        assert DailyCostRollup.objects.filter(source=uploads).aggregate(t=Sum("unblended_cost"))["t"] == total

    state = client.get(f"/cloud-accounts/jobs/{job.pk}/progress.json").json()
    assert (state["status"], state["progress"], state["rows"], state["active"]) == ("succeeded", 1.0, rows, False)
    assert "2023-11" in client.get(f"/cloud-accounts/jobs/{job.pk}/").content.decode()


def test_a_file_that_is_not_a_bill_fails_with_a_message_naming_it(
    org_a: Any, client_for: Any, run_on_commit: Any
) -> None:
    client = client_for(org_a.owner, org_a)
    upload = SimpleUploadedFile("notes.csv", b"name,amount\nlunch,12.50\n")

    run_on_commit(org_a, lambda: client.post("/cloud-accounts/upload/", {"file": upload, "format": "auto"}))

    with tenant_context(org_a.organization):
        job = IngestionJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert "notes.csv" in job.error and "unknown format" in job.error
    page = client.get(f"/cloud-accounts/jobs/{job.pk}/").content.decode()
    assert "unknown format" in page


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("bill.xlsx", b"PK..", "bill.xlsx: only .csv, .csv.gz and .parquet files"),
        ("empty.csv", b"", "The submitted file is empty."),
    ],
)
def test_wrong_files_are_refused_up_front(org_a: Any, client_for: Any, name: str, body: bytes, message: str) -> None:
    response = client_for(org_a.owner, org_a).post(
        "/cloud-accounts/upload/", {"file": SimpleUploadedFile(name, body), "format": "auto"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(org_a.organization):
        assert not IngestionJob.objects.exists()


def test_files_over_the_size_limit_are_refused(org_a: Any, client_for: Any, settings: Any) -> None:
    settings.COST_UPLOAD_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.csv", b"x" * (1024 * 1024 + 1))
    response = client_for(org_a.owner, org_a).post("/cloud-accounts/upload/", {"file": upload, "format": "auto"})
    # Stopped while arriving (finops.upload_handlers), not after the whole file was kept.
    assert response.status_code == 413
    assert "big.csv: the upload is larger than the 1 MB upload limit" in response.content.decode()
    with tenant_context(org_a.organization):
        assert not IngestionJob.objects.exists()


def test_only_admins_upload_strangers_get_404(org_a: Any, org_b: Any, client_for: Any) -> None:
    upload = SimpleUploadedFile("bill.csv", b"a,b\n1,2\n")
    assert client_for(org_a.viewer, org_a).post("/cloud-accounts/upload/", {"file": upload}).status_code == 403
    assert client_for(org_b.owner, org_a).get("/cloud-accounts/upload/").status_code == 404
    assert client_for(None, org_a).get("/cloud-accounts/upload/").status_code == 302


FOCUS_SMALL = Path(__file__).parent / "fixtures" / "focus_small.csv"


def _queued_upload(world: Any, client_for: Any, run_on_commit: Any, monkeypatch: Any, fmt: str) -> Any:
    """Post an upload in `fmt` without running its task; the stored job."""
    monkeypatch.setattr(tasks.upload_ingest, "delay", lambda *args: None)
    upload = SimpleUploadedFile("focus.csv", FOCUS_SMALL.read_bytes())
    response = client_for(world.owner, world).post("/cloud-accounts/upload/", {"file": upload, "format": fmt})
    assert response.status_code == 302
    with tenant_context(world.organization):
        return IngestionJob.objects.get()


def test_the_job_keeps_the_chosen_format_so_a_requeued_task_cannot_forget_it(
    org_a: Any, client_for: Any, run_on_commit: Any, monkeypatch: Any
) -> None:
    job = _queued_upload(org_a, client_for, run_on_commit, monkeypatch, "focus")
    assert job.format == "focus"
    with tenant_context(org_a.organization):
        # A stale argument (tasks queued before the job recorded its format) does not override it.
        tasks.upload_ingest.apply(args=[job.pk, "cur2"]).get()
        job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error


def test_a_job_from_before_the_format_was_recorded_uses_its_tasks_argument(
    org_a: Any, client_for: Any, run_on_commit: Any, monkeypatch: Any
) -> None:
    job = _queued_upload(org_a, client_for, run_on_commit, monkeypatch, "focus")
    with tenant_context(org_a.organization):
        IngestionJob.objects.filter(pk=job.pk).update(format="")  # what the migration leaves on older jobs
        tasks.upload_ingest.apply(args=[job.pk, "cur2"]).get()
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED  # a FOCUS file read as CUR 2.0: the argument was used
        tasks.upload_ingest.apply(args=[job.pk, "focus"]).get()
        job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
