"""People's accounts (public schema). Users sign in by email; allauth tracks the address."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction


@transaction.atomic
def user_create(*, email: str, password: str | None, verified: bool) -> User:
    """A user whose username and primary address are `email` (no usable password when `password` is None).

    `verified` says whether the address is already proven (an invitation reached it, an
    operator vouched for it) or still needs the confirmation email.
    """
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user
