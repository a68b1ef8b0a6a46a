"""Celery tasks of recommendations (queue "ai" via CELERY_TASK_ROUTES). Thin: claim, call a service.

Safe to run twice: a run that finds another one under way records itself as skipped, and
rationale already written for the current evidence is not asked for again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_tenants.utils import get_tenant_model, tenant_context

from finops.celery import shared_task, tenant_task
from finops.queues import Queue
from recommendations.models import RunTrigger
from recommendations.services.batch_jobs import batch_job_collect
from recommendations.services.runs import recommendations_run

log = logging.getLogger(__name__)

# Several ingestions in a row (one per billing period) ask for one run, not one each.
PENDING_KEY = "recommendations:run-pending"
# Bedrock batch jobs take minutes to hours (and expire after 24 h unless done).
BATCH_POLL_SECONDS = 900


def run_soon(*, trigger: str) -> bool:
    """Queue a run for the current organization unless one is already queued; True when queued."""
    delay = settings.RECOMMENDATIONS_DEBOUNCE_SECONDS
    if not cache.add(PENDING_KEY, trigger, timeout=delay + 600):
        return False
    recommendations_run_task.apply_async(kwargs={"trigger": trigger}, countdown=delay, queue=Queue.AI)
    return True


@tenant_task(name="recommendations.tasks.recommendations_run_task")
def recommendations_run_task(trigger: str = RunTrigger.MANUAL) -> dict[str, Any]:
    """Detect, store and explain savings for this organization."""
    cache.delete(PENDING_KEY)
    run = recommendations_run(trigger=trigger)
    if run.batch_job_arn:
        batch_job_collect_task.apply_async(kwargs={"run_id": run.pk}, countdown=BATCH_POLL_SECONDS, queue=Queue.AI)
    return {"run": run.pk, "status": run.status, "candidates": run.candidates, "written": run.rationales_written}


@tenant_task(name="recommendations.tasks.batch_job_collect_task", bind=True, max_retries=96)
def batch_job_collect_task(self: Any, run_id: int) -> dict[str, Any]:
    """Collect a batch inference job's answers; looks again every BATCH_POLL_SECONDS until the job has ended."""
    outcome = batch_job_collect(run_id=run_id)
    if outcome == "waiting":
        raise self.retry(countdown=BATCH_POLL_SECONDS)
    return {"run": run_id, "outcome": outcome}


@shared_task(name="recommendations.tasks.recommendations_run_all_organizations")
def recommendations_run_all_organizations() -> int:
    """Beat, nightly: one run per organization (in its own schema, on the ai queue)."""
    sent = 0
    for organization in get_tenant_model().objects.exclude(schema_name="public").only("pk", "schema_name"):
        with tenant_context(organization):
            recommendations_run_task.apply_async(kwargs={"trigger": RunTrigger.NIGHTLY}, queue=Queue.AI)
        sent += 1
    return sent
