"""How fresh the bill is: the last successful ingestion, the last delivery, and the last day a bill covers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

from costs.models import Delivery, IngestionJob, JobStatus


@dataclass(frozen=True)
class Freshness:
    last_job_id: int | None
    last_job_source: str
    last_job_finished_at: datetime.datetime | None
    delivery_source: str
    delivery_ingested_at: datetime.datetime | None  # when the bill's last delivery was received
    delivery_period: datetime.date | None
    delivery_key: str
    bill_through: datetime.date | None  # the last day any bill (not an estimate) has charges for


def bill_freshness() -> Freshness:
    """The last successful ingestion job, the newest delivery of a bill, and the last billed day (3 queries)."""
    job = (
        IngestionJob.objects.filter(status=JobStatus.SUCCEEDED, finished_at__isnull=False)
        .select_related("source")
        .order_by("-finished_at", "-id")
        .first()
    )
    delivery = Delivery.objects.select_related("source").order_by("-ingested_at", "-id").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(day) FROM costs_dailycostrollup WHERE NOT is_estimate")
        (through,) = cursor.fetchone()
    return Freshness(
        last_job_id=job.pk if job else None,
        last_job_source=job.source.name if job else "",
        last_job_finished_at=job.finished_at if job else None,
        delivery_source=delivery.source.name if delivery else "",
        delivery_ingested_at=delivery.ingested_at if delivery else None,
        delivery_period=delivery.billing_period if delivery else None,
        delivery_key=delivery.delivery_key if delivery else "",
        bill_through=through,
    )
