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

from finops.celery import Queue, shared_task, tenant_task
from recommendations.models import RunTrigger
from recommendations.services.runs import recommendations_run

log = logging.getLogger(__name__)

# Several ingestions in a row (one per billing period) ask for one run, not one each.
PENDING_KEY = "recommendations:run-pending"


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
    return {"run": run.pk, "status": run.status, "candidates": run.candidates, "written": run.rationales_written}


@shared_task(name="recommendations.tasks.recommendations_run_all_organizations")
def recommendations_run_all_organizations() -> int:
    """Beat, nightly: one run per organization (in its own schema, on the ai queue)."""
    sent = 0
    for organization in get_tenant_model().objects.exclude(schema_name="public").only("pk", "schema_name"):
        with tenant_context(organization):
            recommendations_run_task.apply_async(kwargs={"trigger": RunTrigger.NIGHTLY}, queue=Queue.AI)
        sent += 1
    return sent
