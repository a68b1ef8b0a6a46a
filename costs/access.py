"""Scoped lookups for ids that come from a request: members of this organization only, 404 otherwise.

The schema already confines queries to this organization; the membership check keeps
signed-in strangers out even where the middleware would not (e.g. a future API route).
"""

from __future__ import annotations

from django.http import HttpRequest

from costs.models import CostSource, IngestionJob
from tenants.access import scoped_get


def source_get(request: HttpRequest, source_id: int) -> CostSource:
    return scoped_get(request, CostSource.objects.all(), pk=source_id)


def job_get(request: HttpRequest, job_id: int) -> IngestionJob:
    return scoped_get(request, IngestionJob.objects.select_related("source"), pk=job_id)
