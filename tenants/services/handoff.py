"""Carrying a sign-in from the public site to an organization's host (see LoginHandoff)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from tenants.models import LoginHandoff, Organization, organization_url
from tenants.tokens import token_hash, token_new


def handoff_url_create(*, user: User, organization: Organization, next_path: str = "/") -> str:
    token, hashed = token_new()
    LoginHandoff.objects.create(
        token_hash=hashed,
        user=user,
        organization=organization,
        expires_at=timezone.now() + timedelta(seconds=settings.HANDOFF_MAX_AGE_SECONDS),
    )
    return organization_url(organization.slug, f"/auth/handoff/?token={token}")


@transaction.atomic
def handoff_redeem(*, token: str, organization: Organization) -> User | None:
    """The user the ticket was issued to, once, within its lifetime, on its own host only."""
    claimed = LoginHandoff.objects.filter(
        token_hash=token_hash(token), organization=organization, used_at=None, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if claimed != 1:
        return None
    return LoginHandoff.objects.select_related("user").get(token_hash=token_hash(token)).user
