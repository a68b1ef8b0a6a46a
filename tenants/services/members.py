"""Membership changes: invitations, roles, removals. The last owner is always protected."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from tenants.models import Invitation, Membership, Organization, Role, organization_url
from tenants.tokens import token_hash, token_new


class MembershipError(Exception):
    """A membership change that the rules forbid; the message is shown to the user."""


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
    """Invite someone by email; returns the invitation and the link sent to them."""
    email = email.strip().lower()
    if role not in Role.values:
        raise MembershipError(f"Unknown role {role!r}.")
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
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[FinOps] You are invited to {organization.name}",
            message=(
                f"{invited_by} invited you to join {organization.name} on FinOps as {role}.\n\n"
                f"Accept the invitation: {link}\n\nThe link works once and expires in 7 days."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, link


class InvitationInvalid(Exception):
    """The invitation link cannot be used; the message says why."""


def invitation_for_token(*, organization: Organization, token: str) -> Invitation:
    """The pending invitation behind a link, or InvitationInvalid with the reason."""
    invitation = Invitation.objects.filter(organization=organization, token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn or replaced by a newer one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired. Ask an administrator to send a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, organization: Organization, token: str, user: User) -> Membership:
    """Use an invitation (once) to make `user` a member."""
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
def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(revoked_at=timezone.now())


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting: Membership) -> Membership:
    if role not in Role.values:
        raise MembershipError(f"Unknown role {role!r}.")
    if not acting.can_manage:
        raise MembershipError("Only owners and admins can change roles.")
    if Role.OWNER in (role, membership.role) and acting.role != Role.OWNER:
        raise MembershipError("Only an owner can grant or take away the owner role.")
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_locked(membership.organization) <= 1:
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
