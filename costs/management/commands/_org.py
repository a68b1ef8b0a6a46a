"""Shared by the cost commands: run inside one organization's schema, chosen by slug."""

from __future__ import annotations

from django.core.management.base import CommandError

from tenants.models import Organization


def organization_by_slug(slug: str) -> Organization:
    try:
        return Organization.objects.exclude(schema_name="public").get(slug=slug)
    except Organization.DoesNotExist:
        raise CommandError(f"no organization with slug {slug!r}") from None
