"""Sign-up by email link: the answer never tells whether an address already has an account.

Posting the sign-up form creates nothing but a pending request and mails a link; the account and
the organization are created when the link is used, which also proves the address. When the
address already has an account, that account is told by email instead ("someone tried to create
an organization with your address"), and the visitor sees exactly the same page.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from finops.account_guards import Limit, limit_consume
from tenants.models import Organization, SignupRequest, public_url
from tenants.services.provisioning import organization_create
from tenants.services.users import user_create
from tenants.tokens import token_hash, token_new

logger = logging.getLogger(__name__)

# An address that already has an account is told at most this often (no mail-bombing through us).
EXISTING_ACCOUNT_NOTICE = Limit("signup_existing_account_notice", hits=3, seconds=3600)


class SignupInvalid(Exception):
    """The sign-up link cannot be used; the message says why."""


@transaction.atomic
def signup_request_create(*, email: str, organization_name: str, slug: str, password: str) -> None:
    """Record a pending sign-up and mail its link, or tell the existing account; the caller cannot tell which."""
    email = email.strip().lower()
    # Hashed on both paths, so the answer takes as long whether the address is known or not.
    password_hash = make_password(password)
    SignupRequest.objects.filter(expires_at__lt=timezone.now()).delete()
    if get_user_model().objects.filter(email__iexact=email).exists():
        if limit_consume(EXISTING_ACCOUNT_NOTICE, email):
            transaction.on_commit(lambda: _existing_account_mail_send(email=email))
        return
    token, hashed = token_new()
    SignupRequest.objects.create(
        token_hash=hashed,
        email=email,
        organization_name=organization_name.strip(),
        slug=slug,
        password_hash=password_hash,
        expires_at=timezone.now() + timedelta(seconds=settings.SIGNUP_LINK_MAX_AGE_SECONDS),
    )
    link = public_url(f"/signup/confirm/{token}/")
    transaction.on_commit(lambda: _signup_link_mail_send(email=email, link=link))


def _signup_link_mail_send(*, email: str, link: str) -> None:
    hours = settings.SIGNUP_LINK_MAX_AGE_SECONDS // 3600
    send_mail(
        subject="[FinOps] Finish creating your organization",
        message=(
            "Follow this link to create your organization on FinOps and sign in:\n\n"
            f"{link}\n\nThe link works once and expires in {hours} hours. "
            "If you did not sign up, ignore this message; nothing was created."
        ),
        from_email=None,
        recipient_list=[email],
    )


def _existing_account_mail_send(*, email: str) -> None:
    # Nothing the visitor typed (organization name, address) goes into this mail: it would be a
    # phishing channel to a stranger's inbox.
    send_mail(
        subject="[FinOps] Someone tried to create an organization with your address",
        message=(
            "Someone (maybe you) tried to create an organization on FinOps with this email address, "
            "which already has an account. Nothing was created and nothing was changed.\n\n"
            f"If it was you, sign in and create the organization from your list of organizations:\n"
            f"{public_url('/accounts/login/?next=/signup/')}\n\n"
            f"Forgot your password? {public_url('/accounts/password/reset/')}\n\n"
            "If it was not you, you can ignore this message."
        ),
        from_email=None,
        recipient_list=[email],
    )


def signup_request_for_token(*, token: str) -> SignupRequest:
    """The pending sign-up behind a link, or SignupInvalid with the reason."""
    request = SignupRequest.objects.filter(token_hash=token_hash(token)).first()
    if request is None:
        raise SignupInvalid("This sign-up link is not valid.")
    if request.used_at is not None:
        raise SignupInvalid("This sign-up link has already been used. Sign in to reach your organization.")
    if request.expires_at <= timezone.now():
        raise SignupInvalid("This sign-up link has expired. Please sign up again.")
    return request


@transaction.atomic
def signup_confirm(*, token: str) -> tuple[User, Organization]:
    """Use a sign-up link (once): create the owner's account (address proven) and the organization."""
    pending = signup_request_for_token(token=token)
    claimed = SignupRequest.objects.filter(pk=pending.pk, used_at=None).update(used_at=timezone.now())
    if claimed != 1:
        raise SignupInvalid("This sign-up link has already been used. Sign in to reach your organization.")
    if get_user_model().objects.filter(email__iexact=pending.email).exists():
        raise SignupInvalid("An account with this address was created since. Sign in, then create the organization.")
    user = user_create(email=pending.email, password=None, verified=True)
    user.password = pending.password_hash
    user.save(update_fields=["password"])
    try:
        organization = organization_create(name=pending.organization_name, slug=pending.slug, owner=user)
    except ValidationError as error:
        # The slug was taken by someone quicker; raising rolls the whole sign-up back.
        raise SignupInvalid(
            f"The address {pending.slug} was taken in the meantime. Please sign up again with another one."
        ) from error
    return user, organization
