"""Pages of the costs app: Accounts (linked AWS exports, uploads, ingestion jobs)."""

from __future__ import annotations

import calendar
import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from costs import selectors, tasks
from costs.access import job_get, source_get
from costs.cloudformation import TEMPLATE_FILENAME, quick_create_url, role_template_json
from costs.forms import DirectUploadForm, SourceEditForm, SourceForm, UploadForm
from costs.models import IngestionJob, JobStatus, SourceKind
from costs.services import sources as source_services
from costs.services.source_validation import SourceError
from costs.services.uploads import (
    UploadError,
    direct_upload_create,
    direct_upload_enabled,
    direct_upload_presign,
    upload_create,
    upload_max_bytes,
)
from finops.aws import AwsCallError
from finops.content_security import csp_allow
from tenants.access import organization_page, request_membership
from tenants.models import public_url

JOB_HISTORY = 50
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _template_url() -> str:
    # AWS's quick-create link needs a URL the console can fetch without our session cookie:
    # the generic template (no organization data) on the public site, or a copy in S3.
    return getattr(settings, "CLOUDFORMATION_TEMPLATE_URL", "") or public_url(f"/aws/{TEMPLATE_FILENAME}")


@organization_page
def accounts(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    organization = membership.organization
    context = {
        "membership": membership,
        "sources": selectors.cost_sources(),
        "linked_accounts": selectors.linked_accounts(),
        "recent_jobs": selectors.jobs_recent(limit=10),
        "external_id": organization.external_id,
        "aws_account_id": settings.FINOPS_AWS_ACCOUNT_ID,
        "role_path": settings.CUSTOMER_ROLE_PATH,
        "template_url": _template_url(),
        "quick_create_url": quick_create_url(template_url=_template_url(), external_id=organization.external_id),
    }
    return render(request, "costs/accounts.html", context)


@organization_page
@require_GET
def cloudformation_template(request: HttpRequest) -> HttpResponse:
    """This organization's template: its ExternalId (and bucket/prefix, when given) as parameter defaults."""
    organization = request_membership(request).organization
    body = role_template_json(
        external_id=organization.external_id,
        bucket=request.GET.get("bucket", "")[:63],
        prefix=request.GET.get("prefix", "")[:1024],
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response


@require_GET
def cloudformation_template_public(request: HttpRequest) -> HttpResponse:
    """The generic template for the console's quick-create link: no organization data in it."""
    return HttpResponse(role_template_json(), content_type="application/json")


@organization_page(manager=True)
def source_add(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_services.source_create(**form.source_values())
        except SourceError as error:  # linked by someone else since the form was checked
            form.add_source_error(error)
        else:
            messages.success(request, f"Linked {source.name}. Test the connection to see what we can find.")
            return redirect("cost_source", source_id=source.pk)
    context = {"form": form, "membership": membership, "external_id": membership.organization.external_id}
    return render(request, "costs/source_form.html", context)


@organization_page(manager=True)
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_get(request, source_id)
    if source.kind != SourceKind.AWS_S3:
        messages.error(request, "Only AWS export sources have settings to edit.")
        return redirect("cost_source", source_id=source.pk)
    initial = {f: getattr(source, f) for f in ("name", "role_arn", "bucket", "export_name", "format")}
    initial["export_prefix"] = source.prefix
    form = SourceEditForm(request.POST or None, initial={**initial, "is_active": source.is_active}, source=source)
    if request.method == "POST" and form.is_valid():
        try:
            source_services.source_update(source=source, **form.source_values())
        except SourceError as error:
            form.add_source_error(error)
        else:
            messages.success(request, "Saved. Test the connection again to check the new settings.")
            return redirect("cost_source", source_id=source.pk)
    return render(request, "costs/source_form.html", {"form": form, "source": source})


@organization_page
def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    membership = request_membership(request)
    source = source_get(request, source_id)
    context: dict[str, Any] = {
        "membership": membership,
        "source": source,
        "jobs": selectors.source_jobs(source=source, limit=JOB_HISTORY),
        "deliveries": selectors.source_deliveries(source=source, limit=24),
    }
    if source.kind == SourceKind.AWS_S3:
        query = urlencode({"bucket": source.bucket, "prefix": source.prefix})
        context["template_download"] = f"{reverse('cost_cloudformation')}?{query}"
        context["quick_create_url"] = quick_create_url(
            template_url=_template_url(),
            external_id=membership.organization.external_id,
            bucket=source.bucket,
            prefix=source.prefix,
        )
    return render(request, "costs/source_detail.html", context)


@organization_page(manager=True)
@require_POST
def source_test(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_get(request, source_id)
    outcome = source_services.source_test_connection(source=source)
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect("cost_source", source_id=source.pk)


@organization_page(manager=True)
@require_POST
def source_check_now(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_get(request, source_id)
    if source.kind != SourceKind.AWS_S3:
        messages.error(request, "Only AWS export sources are checked; uploads are ingested when uploaded.")
        return redirect("cost_source", source_id=source.pk)
    transaction.on_commit(lambda: tasks.source_check.delay(source.pk, "manual"))
    messages.success(request, "Check queued. New deliveries appear below as jobs.")
    return redirect("cost_source", source_id=source.pk)


def _direct_upload_page(request: HttpRequest, form: DirectUploadForm, *, status: int = 200) -> HttpResponse:
    """The upload page in S3 mode: the browser posts the file to S3 itself (static/js/direct_upload.js)."""
    post = direct_upload_presign()
    context = {
        "form": form,
        "membership": request_membership(request),
        "max_mb": upload_max_bytes() // 1024 // 1024,
        "max_bytes": upload_max_bytes(),
        "direct": {"url": post.url, "fields": post.fields, "key_prefix": post.key_prefix, "max_bytes": post.max_bytes},
    }
    response = render(request, "costs/upload.html", context, status=status)
    origin = urlsplit(post.url)
    return csp_allow(response, "connect-src", f"{origin.scheme}://{origin.netloc}")


@organization_page(manager=True)
@require_POST
def upload_direct_complete(request: HttpRequest) -> HttpResponse:
    """After the browser posted a file to S3: check the key and create the ingestion job."""
    if not direct_upload_enabled():
        return redirect("cost_upload")
    form = DirectUploadForm(request.POST)
    if form.is_valid():
        try:
            job = direct_upload_create(key=form.cleaned_data["key"], format=form.cleaned_data["format"])
        except (UploadError, AwsCallError) as error:
            message = str(error) if isinstance(error, UploadError) else "Storage did not answer; try again."
            form.add_error(None, message)
        else:
            transaction.on_commit(lambda: tasks.upload_ingest.delay(job.pk))
            messages.success(request, "Uploaded. The file is being ingested.")
            return redirect("cost_job", job_id=job.pk)
    return _direct_upload_page(request, form, status=400)


@organization_page(manager=True)
def upload(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    if direct_upload_enabled():
        if request.method == "POST":  # files never pass through the web tier in this mode
            return redirect("cost_upload")
        return _direct_upload_page(request, DirectUploadForm())
    form = UploadForm(request.POST or None, request.FILES or None)
    refused = getattr(request, "upload_refused", None)  # finops.upload_handlers stopped it at the limit
    if refused:
        context = {"form": UploadForm(), "membership": membership, "max_mb": upload_max_bytes() // 1024 // 1024}
        return render(request, "costs/upload.html", {**context, "refused": refused}, status=413)
    if request.method == "POST" and form.is_valid():
        job = upload_create(file=form.cleaned_data["file"], format=form.cleaned_data["format"])
        transaction.on_commit(lambda: tasks.upload_ingest.delay(job.pk))
        messages.success(request, "Uploaded. The file is being ingested.")
        return redirect("cost_job", job_id=job.pk)
    context = {
        "form": form,
        "membership": membership,
        "max_mb": upload_max_bytes() // 1024 // 1024,
        "max_bytes": upload_max_bytes(),
    }
    return render(request, "costs/upload.html", context, status=400 if request.method == "POST" else 200)


def _explorer_url(job: IngestionJob) -> str | None:
    """The explorer over the billing periods a finished job delivered (the first thing to look at)."""
    if job.status != JobStatus.SUCCEEDED or not job.billing_periods:
        return None
    periods = sorted(job.billing_periods)
    first = datetime.date.fromisoformat(f"{periods[0]}-01")
    last = datetime.date.fromisoformat(f"{periods[-1]}-01")
    end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    granularity = "day" if first == last else "month"
    query = urlencode({"start": first.isoformat(), "end": end.isoformat(), "granularity": granularity})
    return f"{reverse('costs')}?{query}"


def _job_state(job: IngestionJob) -> dict[str, Any]:
    duration = job.duration
    return {
        "explorer_url": _explorer_url(job),
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": round(job.progress, 4),
        "rows": job.rows,
        "bytes_done": job.bytes_done,
        "bytes_total": job.bytes_total,
        "duration_seconds": round(duration.total_seconds(), 1) if duration is not None else None,
        "billing_periods": job.billing_periods,
        "error": job.error,
        "notes": job.notes,
        "warnings": job.warnings,
        "active": job.status in ACTIVE,
    }


@organization_page
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    membership = request_membership(request)
    job = job_get(request, job_id)
    context = {"membership": membership, "job": job, "state": _job_state(job), "active": job.status in ACTIVE}
    return render(request, "costs/job_detail.html", context)


@organization_page
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    job = job_get(request, job_id)
    response = JsonResponse(_job_state(job))
    response["Cache-Control"] = "no-store"
    return response
