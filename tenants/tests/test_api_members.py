"""Memberships through the API: every member and key lists them; owners and admins (signed in) change roles
and remove members through the Members page's services; only an owner grants, takes away or removes the owner
role; the last owner stays; no API key, read-write included, changes a membership; strangers get 404."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from finops.testing_api import key_warm, keyed, session
from tenants.models import ApiKeyScope, Membership, Role

pytestmark = pytest.mark.django_db

API = "/api/v1/members"


@pytest.fixture(autouse=True)
def _no_throttling(settings: Any) -> None:
    settings.API_THROTTLE_RATES = {}


def membership(world: Any, user: Any) -> Membership:
    return Membership.objects.get(organization=world.organization, user=user)


def role_of(world: Any, user: Any) -> str | None:
    row = Membership.objects.filter(organization=world.organization, user=user).first()
    return row.role if row is not None else None


def test_every_member_and_key_lists_the_organizations_members_only(org_a: Any, org_b: Any) -> None:
    expected = [("owner@acme.test", "owner"), ("admin@acme.test", "admin"), ("viewer@acme.test", "viewer")]
    for client in (session(org_a.viewer, org_a), keyed(org_a, ApiKeyScope.READ)):
        listed = client.get(API).json()
        assert listed["count"] == 3
        assert [(row["email"], row["role"]) for row in listed["results"]] == expected
    viewer_row = membership(org_a, org_a.viewer)
    assert session(org_a.viewer, org_a).get(f"{API}/{viewer_row.pk}").json()["email"] == "viewer@acme.test"
    assert b"globex" not in session(org_a.owner, org_a).get(API).content


def test_an_admin_changes_roles_below_owner_but_cannot_grant_or_take_away_ownership(org_a: Any) -> None:
    admin = session(org_a.admin, org_a)
    viewer_row, owner_row = membership(org_a, org_a.viewer), membership(org_a, org_a.owner)
    promoted = admin.patch(f"{API}/{viewer_row.pk}", {"role": "member"}, format="json")
    assert promoted.status_code == 200 and promoted.json()["role"] == "member"
    assert role_of(org_a, org_a.viewer) == Role.MEMBER

    minted = admin.patch(f"{API}/{viewer_row.pk}", {"role": "owner"}, format="json")
    assert minted.status_code == 403 and "owner" in minted.json()["error"]["message"]
    demoted = admin.patch(f"{API}/{owner_row.pk}", {"role": "viewer"}, format="json")
    assert demoted.status_code == 403
    assert admin.delete(f"{API}/{owner_row.pk}").status_code == 403
    assert (role_of(org_a, org_a.viewer), role_of(org_a, org_a.owner)) == (Role.MEMBER, Role.OWNER)

    assert admin.delete(f"{API}/{viewer_row.pk}").status_code == 204
    assert role_of(org_a, org_a.viewer) is None


def test_an_owner_grants_ownership_and_the_last_owner_is_neither_demoted_nor_removed(org_a: Any) -> None:
    owner = session(org_a.owner, org_a)
    owner_row, admin_row = membership(org_a, org_a.owner), membership(org_a, org_a.admin)
    last = owner.patch(f"{API}/{owner_row.pk}", {"role": "admin"}, format="json")
    assert last.status_code == 400 and "last owner" in last.json()["error"]["fields"]["role"][0]
    removed = owner.delete(f"{API}/{owner_row.pk}")
    assert removed.status_code == 400 and "last owner" in removed.json()["error"]["message"]

    granted = owner.patch(f"{API}/{admin_row.pk}", {"role": "owner"}, format="json")
    assert granted.status_code == 200 and granted.json()["role"] == "owner"
    # Now there is another owner: the first one may step down.
    assert owner.patch(f"{API}/{owner_row.pk}", {"role": "admin"}, format="json").status_code == 200
    assert (role_of(org_a, org_a.owner), role_of(org_a, org_a.admin)) == (Role.ADMIN, Role.OWNER)


def test_no_key_changes_a_membership_and_viewers_and_members_cannot_either(org_a: Any) -> None:
    viewer_row = membership(org_a, org_a.viewer)
    member = make_user("member@acme.test")
    Membership.objects.create(user=member, organization=org_a.organization, role=Role.MEMBER)
    writer, reader = keyed(org_a, ApiKeyScope.READ_WRITE), keyed(org_a, ApiKeyScope.READ)
    for client in (writer, reader):
        minted = client.patch(f"{API}/{viewer_row.pk}", {"role": "owner"}, content_type="application/json")
        assert minted.status_code == 403, minted.content
        assert client.delete(f"{API}/{viewer_row.pk}").status_code == 403
    for user in (org_a.viewer, member):
        client = session(user, org_a)
        assert client.patch(f"{API}/{viewer_row.pk}", {"role": "admin"}, format="json").status_code == 403
        assert client.delete(f"{API}/{viewer_row.pk}").status_code == 403
    assert role_of(org_a, org_a.viewer) == Role.VIEWER


def test_another_organization_sees_none_of_the_members_and_gets_404_on_each(org_a: Any, org_b: Any) -> None:
    theirs = membership(org_a, org_a.viewer)
    at_home = session(org_b.owner, org_b)
    assert {row["email"] for row in at_home.get(API).json()["results"]} == {
        "owner@globex.test",
        "admin@globex.test",
        "viewer@globex.test",
    }
    assert at_home.get(f"{API}/{theirs.pk}").status_code == 404
    assert at_home.patch(f"{API}/{theirs.pk}", {"role": "owner"}, format="json").status_code == 404
    assert at_home.delete(f"{API}/{theirs.pk}").status_code == 404
    assert keyed(org_b, ApiKeyScope.READ).get(f"{API}/{theirs.pk}").status_code == 404
    stranger_on_acme = session(org_b.owner, org_a)
    assert stranger_on_acme.get(API).status_code == 404
    assert role_of(org_a, org_a.viewer) == Role.VIEWER


def test_the_member_list_costs_the_same_queries_for_three_members_or_thirty(
    org_a: Any, django_assert_max_num_queries: Any
) -> None:
    client = keyed(org_a, ApiKeyScope.READ)
    key_warm(client, API)
    counts = []
    for total in (3, 30):
        for n in range(Membership.objects.filter(organization=org_a.organization).count(), total):
            Membership.objects.create(user=make_user(f"m{n}@acme.test"), organization=org_a.organization)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(API).json()["count"] == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
