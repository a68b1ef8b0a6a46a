"""Who may give which role, on every path that creates or changes a membership.

The grids are the specification, written out by hand: rows are the target's role before the
change (or the invitation's role), columns the role given. `Y` allowed, `.` refused. Each path
is exercised through its page, as a real request, against one committed organization whose
changes every test rolls back. The API adds its rows here (same grids, its own requests).
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import make_org, make_user
from finops.db import use_public_schema
from tenants.models import Invitation, Membership, Role
from tenants.services import members as member_services

ROLES = ["owner", "admin", "member", "viewer"]

# Role change, by the acting member's role: rows = the target's current role, columns = new role
# (owner admin member viewer).
ROLE_CHANGE = {
    "owner": ["YYYY", "YYYY", "YYYY", "YYYY"],
    "admin": ["....", ".YYY", ".YYY", ".YYY"],
    "member": ["....", "....", "....", "...."],
    "viewer": ["....", "....", "....", "...."],
}
# Invitation create, by the inviter's role: the invitation's role (owner admin member viewer).
INVITE = {"owner": "YYYY", "admin": ".YYY", "member": "....", "viewer": "...."}
# Invitation accept, by the inviter's role at the moment of acceptance (None: no longer a
# member): the invitation's role. An invitation made while its sender could give the role
# stops working once they no longer can.
ACCEPT = {"owner": "YYYY", "admin": ".YYY", "member": "....", "viewer": "....", None: "...."}


def role_change_rows() -> list[tuple[str, str, str, bool]]:
    return [
        (acting, current, new, ROLE_CHANGE[acting][ROLES.index(current)][ROLES.index(new)] == "Y")
        for acting, current, new in itertools.product(ROLES, ROLES, ROLES)
    ]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """One committed organization with a member of every role; tests roll their changes back."""
    with django_db_blocker.unblock():
        org = make_org("matrix")
        member = make_user("member@matrix.test")
        Membership.objects.create(user=member, organization=org.organization, role=Role.MEMBER)
        by_role = {"owner": org.owner, "admin": org.admin, "member": member, "viewer": org.viewer}
        world = SimpleNamespace(organization=org.organization, owner=org.owner, admin=org.admin, by_role=by_role)
    yield world
    with django_db_blocker.unblock():
        use_public_schema()
        world.organization.delete(force_drop=True)
        get_user_model().objects.filter(email__endswith="@matrix.test").delete()


def signed_in(user: Any) -> Client:
    client = Client(HTTP_HOST="matrix.localhost")
    client.force_login(user)
    return client


def new_member(world: Any, role: str) -> Membership:
    return Membership.objects.create(
        user=make_user(f"target-{role}@matrix.test"), organization=world.organization, role=role
    )


@pytest.mark.parametrize(("acting", "current", "new", "allowed"), role_change_rows())
def test_role_change_follows_the_matrix(
    world: Any, db: Any, acting: str, current: str, new: str, allowed: bool
) -> None:
    target = new_member(world, current)

    signed_in(world.by_role[acting]).post(f"/members/{target.pk}/role/", {"role": new})

    target.refresh_from_db()
    assert target.role == (new if allowed else current)


@pytest.mark.parametrize(("acting", "role"), list(itertools.product(ROLES, ROLES)))
def test_invitation_create_follows_the_matrix(
    world: Any, db: Any, acting: str, role: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.by_role[acting]).post("/members/invite/", {"email": "new@example.test", "role": role})

    created = Invitation.objects.filter(organization=world.organization, email="new@example.test", role=role)
    assert created.exists() == (INVITE[acting][ROLES.index(role)] == "Y")


@pytest.mark.parametrize(("inviter_role", "role"), list(itertools.product([*ROLES, None], ROLES)))
def test_invitation_accept_rechecks_the_inviter_now(world: Any, db: Any, inviter_role: str | None, role: str) -> None:
    # The inviter was an owner when inviting (any invitation was allowed then) and has since
    # become `inviter_role`, or left.
    inviter = Membership.objects.create(
        user=make_user("inviter@matrix.test"), organization=world.organization, role=Role.OWNER
    )
    _, link = member_services.invitation_create(
        organization=world.organization, email="new@example.test", role=role, invited_by=inviter.user
    )
    if inviter_role is None:
        inviter.delete()
    else:
        Membership.objects.filter(pk=inviter.pk).update(role=inviter_role)
    path = link.split(":8000", 1)[1]

    response = Client(HTTP_HOST="matrix.localhost").post(path, {"password": "a long enough passphrase 7"})

    allowed = ACCEPT[inviter_role][ROLES.index(role)] == "Y"
    joined = Membership.objects.filter(organization=world.organization, user__email="new@example.test").first()
    assert (joined is not None and joined.role == role) == allowed
    if not allowed:
        assert response.status_code == 410
        assert "no longer grant" in response.content.decode()
        # Nothing half-made: no account was created for the refused acceptance either.
        assert not get_user_model().objects.filter(email="new@example.test").exists()


def test_an_admin_cannot_mint_an_owner_who_then_demotes_the_owner(
    world: Any, db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The attack from the issue, end to end: admin invites an owner; nothing comes of it."""
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.admin).post(
            "/members/invite/", {"email": "mallory@example.test", "role": "owner"}, follow=True
        )

    assert "Only an owner can grant or take away the owner role" in response.content.decode()
    assert not Invitation.objects.filter(email="mallory@example.test").exists()


def test_an_owner_invitation_dies_with_its_senders_ownership(world: Any, db: Any) -> None:
    second_owner = Membership.objects.create(
        user=make_user("second@matrix.test"), organization=world.organization, role=Role.OWNER
    )
    outsider = make_user("outsider@matrix.test")
    _, link = member_services.invitation_create(
        organization=world.organization, email=outsider.email, role="owner", invited_by=second_owner.user
    )
    # The first owner demotes the sender before the invitation is used.
    member_services.membership_change_role(
        membership=second_owner, role="admin", acting=Membership.objects.get(user=world.owner)
    )

    response = signed_in(outsider).post(link.split(":8000", 1)[1])

    assert response.status_code == 410
    assert not Membership.objects.filter(user=outsider, organization=world.organization).exists()


def test_role_grant_authorize_is_the_one_rule(db: Any) -> None:
    # The API calls this function directly; it must refuse what the pages refuse.
    with pytest.raises(member_services.MembershipError, match="Only an owner"):
        member_services.role_grant_authorize(acting_role="admin", current_role=None, new_role="owner")
    with pytest.raises(member_services.MembershipError, match="Only owners and admins"):
        member_services.role_grant_authorize(acting_role=None, current_role="viewer", new_role="member")
    with pytest.raises(member_services.MembershipError, match="Unknown role"):
        member_services.role_grant_authorize(acting_role="owner", current_role=None, new_role="superuser")
    member_services.role_grant_authorize(acting_role="owner", current_role="owner", new_role="viewer")
