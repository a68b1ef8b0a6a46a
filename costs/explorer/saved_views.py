"""Reads of saved views: the organization's list and one view by id (404 for anyone outside it)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from costs.explorer.models import SavedView
from tenants.access import scoped_get


def saved_view_list() -> QuerySet[SavedView]:
    """Every saved view of this organization, by name."""
    return SavedView.objects.all()


def saved_view_get(request: HttpRequest, view_id: int) -> SavedView:
    """One saved view of the host's organization, for its members; 404 for anyone else."""
    return scoped_get(request, SavedView.objects.all(), pk=view_id)
