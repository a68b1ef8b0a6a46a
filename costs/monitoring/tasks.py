"""Celery tasks of the monitoring app (default queue). Thin: they call a service and are safe to run twice."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django_tenants.utils import get_tenant_model, tenant_context

from costs.monitoring.alerts.dispatch import deliveries_send_due, digests_create
from costs.monitoring.services.monitors import monitors_default_ensure
from costs.monitoring.services.runs import monitoring_run, run_root_causes_fill
from finops.celery import shared_task, tenant_task


@tenant_task(name="costs.monitoring.tasks.monitoring_run_task")
def monitoring_run_task(trigger: str = "manual") -> dict[str, Any]:
    """Detect anomalies and check budgets for this organization (after an ingestion, or on demand)."""
    monitors_default_ensure()
    run = monitoring_run(trigger=trigger)
    return {"run": run.pk, "series": run.series, "new": run.anomalies_new}


@tenant_task(name="costs.monitoring.tasks.root_causes_fill")
def root_causes_fill(run_id: int) -> int:
    """After a run commits: the root causes of its biggest anomalies it did not alert about."""
    return run_root_causes_fill(run_id=run_id)


@tenant_task(name="costs.monitoring.tasks.deliveries_send")
def deliveries_send() -> dict[str, int]:
    """Send this organization's due alert deliveries (failures are recorded and retried later)."""
    return deliveries_send_due()


@tenant_task(name="costs.monitoring.tasks.digests_send")
def digests_send(day: str) -> int:
    digests_create(day=datetime.date.fromisoformat(day))
    return deliveries_send_due()["sent"]


@shared_task(name="costs.monitoring.tasks.alerts_all_organizations")
def alerts_all_organizations(digest: bool = False) -> int:
    """Beat: retry due deliveries in every organization (and, once a day, send digests)."""
    sent = 0
    today = timezone.now().date().isoformat()
    for organization in get_tenant_model().objects.exclude(schema_name="public").only("pk", "schema_name"):
        with tenant_context(organization):
            (digests_send.delay(today) if digest else deliveries_send.delay())
        sent += 1
    return sent
