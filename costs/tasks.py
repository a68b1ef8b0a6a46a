"""Celery tasks of the costs app (queue "ingest" via CELERY_TASK_ROUTES). Thin: load by id, call a service.

Every task is safe to run twice: a redelivered source check re-discovers and skips what a
finished delivery recorded; a redelivered upload re-runs its job unless it succeeded.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from django.conf import settings
from django_tenants.utils import get_tenant_model, tenant_context

from costs.models import CostSource, IngestionJob, JobTrigger, SourceKind
from costs.services.checks import source_check_run
from costs.services.job_liveness import jobs_dead_fail
from costs.services.uploads import upload_ingest_run
from finops.celery import shared_task, tenant_task

log = logging.getLogger(__name__)


@shared_task(name="costs.tasks.sources_check_all_organizations")
def sources_check_all_organizations() -> int:
    """Beat, every 6 hours: one organization_sources_check per organization, spread over the jitter window."""
    sent = 0
    for organization in get_tenant_model().objects.exclude(schema_name="public").only("pk", "schema_name"):
        # Sent inside the organization's context, so the schema header names it.
        with tenant_context(organization):
            countdown = random.randint(0, max(0, settings.SOURCE_CHECK_JITTER_SECONDS))
            organization_sources_check.apply_async(kwargs={"trigger": JobTrigger.SCHEDULE}, countdown=countdown)
        sent += 1
    return sent


@shared_task(name="costs.tasks.jobs_dead_fail_all_organizations")
def jobs_dead_fail_all_organizations() -> int:
    """Beat, every minute (queue "default", never behind long ingests): fail running jobs whose heartbeat stopped.

    One conditional UPDATE per organization, run here rather than fanned out as a task each.
    """
    failed = 0
    for organization in get_tenant_model().objects.exclude(schema_name="public").only("pk", "schema_name"):
        with tenant_context(organization):
            dead = jobs_dead_fail()
        if dead:
            log.warning("failed dead ingestion jobs %s in %s", dead, organization.schema_name)
        failed += len(dead)
    return failed


@tenant_task(name="costs.tasks.organization_sources_check")
def organization_sources_check(trigger: str = JobTrigger.SCHEDULE) -> list[dict[str, Any]]:
    """Check every active AWS source of this organization (discovery, ingest, Cost Explorer gap fill)."""
    results = []
    for source in CostSource.objects.filter(is_active=True, kind=SourceKind.AWS_S3):
        outcome = source_check_run(source=source, trigger=trigger, task_id=organization_sources_check.request.id or "")
        results.append({"source": source.pk, "ok": outcome.ok, "message": outcome.message})
    return results


@tenant_task(name="costs.tasks.source_check")
def source_check(source_id: int, trigger: str = JobTrigger.MANUAL) -> dict[str, Any]:
    """Check one source now ("Check now")."""
    source = CostSource.objects.filter(pk=source_id).first()
    if source is None:
        return {"source": source_id, "ok": False, "message": "source no longer exists"}
    outcome = source_check_run(source=source, trigger=trigger, task_id=source_check.request.id or "")
    return {"source": source.pk, "ok": outcome.ok, "message": outcome.message}


@tenant_task(name="costs.tasks.upload_ingest")
def upload_ingest(job_id: int, format: str | None = None) -> dict[str, Any]:
    """Ingest a browser upload stored by services.uploads.upload_create, in the format recorded on its job.

    `format` is accepted for tasks queued before jobs recorded it; the job's own value wins.
    """
    job = IngestionJob.objects.select_related("source").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    job = upload_ingest_run(job=job, format=format)
    return {"job": job.pk, "status": job.status, "rows": job.rows}
