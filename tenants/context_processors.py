from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.access import user_organizations


def organization(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    return {
        "organization": tenant if membership is not None else None,
        "membership": membership,
        "user_organizations": user_organizations(request.user) if hasattr(request, "user") else [],
    }
