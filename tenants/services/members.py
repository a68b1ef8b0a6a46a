"""Membership changes: invitations, roles, removals. The last owner is always protected.

Who may give which role is decided in one place, `role_grant_authorize`, which every path that
creates or changes a membership calls: invitation create, invitation accept (the inviter may
have been demoted since), role change, and the API.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import BadHeaderError, send_mail
from django.db import transaction
from django.utils import timezone

from tenants.models import MANAGER_ROLES, Invitation, Membership, Organization, Role, organization_url
from tenants.services.users import user_create
from tenants.tokens import token_hash, token_new

logger = logging.getLogger(__name__)


class MembershipError(Exception):
    """A membership change that the rules forbid; the message is shown to the user."""


class InvitationNotSent(MembershipError):
    """The invitation email could not be sent; the invitation was withdrawn, nothing is left half-made."""


def role_grant_authorize(*, acting_role: str | None, current_role: str | None, new_role: str) -> None:
    """Raise MembershipError unless someone with `acting_role` may turn `current_role` into `new_role`.

    `acting_role` is the actor's role in the organization now (None: not a member any more);
    `current_role` is the target's role before the change (None: not a member yet).
    Only owners and admins give roles, and only an owner grants or takes away the owner role.
    """
    if new_role not in Role.values:
        raise MembershipError(f"Unknown role {new_role!r}.")
    if acting_role not in MANAGER_ROLES:
        raise MembershipError("Only owners and admins can add members or change roles.")
    if Role.OWNER in (new_role, current_role) and acting_role != Role.OWNER:
        raise MembershipError("Only an owner can grant or take away the owner role.")


def _role_now(organization: Organization, user_id: int | None) -> str | None:
    """`user_id`'s role in `organization` as committed now, the row locked until the transaction ends."""
    if user_id is None:
        return None
    rows = Membership.objects.filter(organization=organization, user_id=user_id)
    if transaction.get_connection().in_atomic_block:
        # Writers lock it, so a concurrent demotion waits for us (or we for it); a plain page
        # view outside a transaction just reads it.
        rows = rows.select_for_update()
    row = rows.first()
    return row.role if row is not None else None


def _owners_locked(organization: Organization) -> int:
    # Lock the owner rows so two concurrent demotions cannot both see "another owner exists".
    return len(
        list(
            Membership.objects.select_for_update()
            .filter(organization=organization, role=Role.OWNER)
            .values_list("id", flat=True)
        )
    )


@transaction.atomic
def invitation_create(*, organization: Organization, email: str, role: str, invited_by: User) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and the link sent to them.

    The email goes out after commit. If it cannot be sent, the invitation is deleted again and
    InvitationNotSent is raised from the commit (the caller's `atomic` exit), so the caller can
    tell the user and nothing half-made is left.
    """
    email = email.strip().lower()
    role_grant_authorize(acting_role=_role_now(organization, invited_by.pk), current_role=None, new_role=role)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member.")
    # A newer invitation supersedes older pending ones for the same address.
    Invitation.objects.filter(organization=organization, email=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token, hashed = token_new()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hashed,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE_SECONDS),
    )
    link = organization_url(organization.slug, f"/invitations/{token}/")
    transaction.on_commit(lambda: _invitation_mail_send(invitation=invitation, link=link, invited_by=invited_by))
    return invitation, link


def _invitation_mail_send(*, invitation: Invitation, link: str, invited_by: User) -> None:
    organization = invitation.organization
    try:
        send_mail(
            subject=f"[FinOps] You are invited to {organization.name}",
            message=(
                f"{invited_by.email} invited you to join {organization.name} on FinOps as {invitation.role}.\n\n"
                f"Accept the invitation: {link}\n\nThe link works once and expires in 7 days."
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (BadHeaderError, smtplib.SMTPException, OSError) as error:
        # The row is committed already: take it back, so no invitation exists that nobody received.
        Invitation.objects.filter(pk=invitation.pk).delete()
        logger.warning("invitation mail not sent", extra={"invitation": invitation.pk, "error": repr(error)})
        raise InvitationNotSent(
            f"The invitation email to {invitation.email} could not be sent ({type(error).__name__}), "
            "so no invitation was created. Please try again later."
        ) from error


class InvitationInvalid(Exception):
    """The invitation link cannot be used; the message says why."""


class InvitationUnknown(InvitationInvalid):
    """No invitation has this token: a mistyped or guessed link (counted against the client address)."""


def invitation_for_token(*, organization: Organization, token: str) -> Invitation:
    """The usable invitation behind a link, or InvitationInvalid with the reason.

    Usable also means its sender may still grant its role (an admin demoted since cannot have
    left behind working invitations to roles they can no longer give).
    """
    invitation = Invitation.objects.filter(organization=organization, token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationUnknown("This invitation link is not valid.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn or replaced by a newer one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired. Ask an administrator to send a new one.")
    _inviter_may_still_grant(invitation)
    return invitation


def _inviter_may_still_grant(invitation: Invitation) -> None:
    try:
        role_grant_authorize(
            acting_role=_role_now(invitation.organization, invitation.invited_by_id),
            current_role=None,
            new_role=invitation.role,
        )
    except MembershipError as error:
        raise InvitationInvalid(
            f"This invitation can no longer be used: whoever sent it may no longer grant the "
            f"{invitation.get_role_display().lower()} role. Ask an owner to invite you again."
        ) from error


@transaction.atomic
def invitation_accept(*, organization: Organization, token: str, user: User) -> Membership:
    """Use an invitation (once) to make `user` a member, re-checking that its sender may grant its role."""
    invitation = invitation_for_token(organization=organization, token=token)
    # Claim the row with a conditional update so two clicks cannot both accept it.
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        accepted_at=timezone.now()
    )
    if claimed != 1:
        raise InvitationInvalid("This invitation has already been used.")
    if getattr(user, "email", "").lower() != invitation.email:
        raise InvitationInvalid(f"This invitation is for {invitation.email}; you are signed in as another address.")
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": invitation.role}
    )
    return membership


@transaction.atomic
def invitation_accept_new_user(*, organization: Organization, token: str, password: str) -> Membership:
    """Create the invited person's account and accept the invitation, both or neither."""
    invitation = invitation_for_token(organization=organization, token=token)
    # The invitation reached this address, which proves it.
    user = user_create(email=invitation.email, password=password, verified=True)
    return invitation_accept(organization=organization, token=token, user=user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(revoked_at=timezone.now())


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting: Membership) -> Membership:
    """Give `membership` a new role, as `acting` (whose role is re-read, locked, not trusted from the request)."""
    current_role = _role_now(membership.organization, membership.user_id)
    if current_role is None:
        raise MembershipError("This person is no longer a member.")
    role_grant_authorize(
        acting_role=_role_now(membership.organization, acting.user_id), current_role=current_role, new_role=role
    )
    if current_role == Role.OWNER and role != Role.OWNER and _owners_locked(membership.organization) <= 1:
        raise MembershipError("The last owner cannot be demoted. Make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting: Membership) -> None:
    is_self = membership.pk == acting.pk
    if not (acting.can_manage or is_self):
        raise MembershipError("Only owners and admins can remove members.")
    if membership.role == Role.OWNER and acting.role != Role.OWNER:
        raise MembershipError("Only an owner can remove an owner.")
    if membership.role == Role.OWNER and _owners_locked(membership.organization) <= 1:
        raise MembershipError("The last owner cannot be removed.")
    membership.delete()
