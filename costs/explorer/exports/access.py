"""The scoped lookup of an export by an id from the request: members of this organization only, 404 otherwise."""

from __future__ import annotations

from django.http import HttpRequest

from costs.explorer.models import FocusExport
from tenants.access import scoped_get


def focus_export_get(request: HttpRequest, export_id: int) -> FocusExport:
    return scoped_get(request, FocusExport.objects.all(), pk=export_id)
