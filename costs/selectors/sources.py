"""Reads for the Accounts pages: cost sources, the accounts the bills showed, ingestion jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from costs.models import CostSource, Delivery, IngestionJob, LinkedAccount


def cost_sources() -> QuerySet[CostSource]:
    """Every cost source of this organization (AWS exports, Cost Explorer estimates, uploads), by name."""
    return CostSource.objects.all()


def linked_accounts() -> QuerySet[LinkedAccount]:
    """Every cloud account the bills (or Cost Explorer) have shown so far."""
    return LinkedAccount.objects.all()


def jobs_recent(*, limit: int = 10) -> QuerySet[IngestionJob]:
    """The latest ingestion jobs of every source, newest first, with their source."""
    return IngestionJob.objects.select_related("source")[:limit]


def source_jobs(*, source: CostSource, limit: int) -> QuerySet[IngestionJob]:
    """The latest jobs of one source, newest first."""
    return source.jobs.all()[:limit]


def source_deliveries(*, source: CostSource, limit: int) -> QuerySet[Delivery]:
    """The latest billing periods ingested for one source."""
    return source.deliveries.all()[:limit]
