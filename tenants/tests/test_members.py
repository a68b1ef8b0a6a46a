from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tenants.models import Invitation, Membership
from tenants.services import members as member_services


def membership(world: Any, user: Any) -> Membership:
    return Membership.objects.get(organization=world.organization, user=user)


def test_an_admin_invites_by_email_with_a_single_use_link(
    org_a: Any, client_for: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org_a.admin, org_a).post(
            "/members/invite/", {"email": "New@Example.test", "role": "member"}
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=org_a.organization)
    assert invitation.email == "new@example.test" and invitation.role == "member"
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "http://acme.localhost:8000/invitations/" in body
    token = body.split("/invitations/")[1].split("/")[0]
    assert invitation.token_hash != token  # only the hash is stored


def test_a_viewer_cannot_manage_members(org_a: Any, client_for: Any) -> None:
    viewer = client_for(org_a.viewer, org_a)
    admin_membership = membership(org_a, org_a.admin)

    assert viewer.post("/members/invite/", {"email": "x@y.test", "role": "member"}).status_code == 403
    assert viewer.post(f"/members/{admin_membership.pk}/role/", {"role": "viewer"}).status_code == 403
    viewer.post(f"/members/{admin_membership.pk}/remove/")
    assert not Invitation.objects.exists()
    admin_membership.refresh_from_db()
    assert admin_membership.role == "admin"
    assert viewer.get("/settings/").status_code == 403


def test_an_admin_cannot_remove_or_demote_the_last_owner(org_a: Any, client_for: Any) -> None:
    admin = client_for(org_a.admin, org_a)
    owner_membership = membership(org_a, org_a.owner)

    admin.post(f"/members/{owner_membership.pk}/remove/")
    admin.post(f"/members/{owner_membership.pk}/role/", {"role": "member"})

    owner_membership.refresh_from_db()
    assert owner_membership.role == "owner"


def test_the_last_owner_cannot_demote_or_remove_themselves(org_a: Any, client_for: Any) -> None:
    owner = client_for(org_a.owner, org_a)
    own = membership(org_a, org_a.owner)

    response = owner.post(f"/members/{own.pk}/role/", {"role": "admin"}, follow=True)
    assert "last owner" in response.content.decode()
    owner.post(f"/members/{own.pk}/remove/")
    own.refresh_from_db()
    assert own.role == "owner"


def test_with_two_owners_one_can_be_demoted(org_a: Any) -> None:
    acting = membership(org_a, org_a.owner)
    admin = membership(org_a, org_a.admin)
    member_services.membership_change_role(membership=admin, role="owner", acting=acting)
    member_services.membership_change_role(membership=acting, role="member", acting=acting)
    acting.refresh_from_db()
    assert acting.role == "member"


def test_an_admin_cannot_grant_the_owner_role(org_a: Any) -> None:
    admin = membership(org_a, org_a.admin)
    viewer = membership(org_a, org_a.viewer)
    with pytest.raises(member_services.MembershipError, match="Only an owner"):
        member_services.membership_change_role(membership=viewer, role="owner", acting=admin)


def test_a_member_can_leave(org_a: Any, client_for: Any) -> None:
    own = membership(org_a, org_a.viewer)
    response = client_for(org_a.viewer, org_a).post(f"/members/{own.pk}/remove/")
    assert response.status_code == 302 and response["Location"] == "http://localhost:8000/"
    assert not Membership.objects.filter(pk=own.pk).exists()


def invite(world: Any, email: str = "new@example.test", role: str = "member") -> str:
    _, link = member_services.invitation_create(
        organization=world.organization, email=email, role=role, invited_by=world.owner
    )
    return link.split(":8000")[1]


def test_a_new_person_accepts_an_invitation_by_choosing_a_password(org_a: Any, client_for: Any) -> None:
    path = invite(org_a, role="viewer")
    visitor = client_for(None, org_a)

    assert visitor.get(path).status_code == 200
    response = visitor.post(path, {"password": "a long enough passphrase 7"})

    assert response.status_code == 302 and response["Location"] == "/"
    joined = Membership.objects.get(organization=org_a.organization, user__email="new@example.test")
    assert joined.role == "viewer"
    assert visitor.get("/members/").status_code == 200


def test_an_invitation_link_works_only_once(org_a: Any, client_for: Any) -> None:
    path = invite(org_a)
    client_for(None, org_a).post(path, {"password": "a long enough passphrase 7"})

    second = client_for(None, org_a).get(path)
    assert second.status_code == 410
    assert "already been used" in second.content.decode()


def test_an_expired_invitation_is_refused_with_a_clear_page(org_a: Any, client_for: Any) -> None:
    path = invite(org_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client_for(None, org_a).post(path, {"password": "a long enough passphrase 7"})

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user__email="new@example.test").exists()


def test_an_invitation_for_another_email_is_refused(org_a: Any, org_b: Any, client_for: Any) -> None:
    path = invite(org_a, email="someone@example.test")
    # Signed in as a different person (the other organization's owner).
    response = client_for(org_b.owner, org_a).post(path)

    assert response.status_code == 403
    assert "someone@example.test" in response.content.decode()
    assert not Membership.objects.filter(organization=org_a.organization, user=org_b.owner).exists()


def test_an_existing_user_signs_in_then_accepts(org_a: Any, org_b: Any, client_for: Any) -> None:
    path = invite(org_a, email=org_b.viewer.email)
    assert client_for(None, org_a).get(path)["Location"] == f"/accounts/login/?next={path}"

    signed_in = client_for(org_b.viewer, org_a)
    assert signed_in.get(path).status_code == 200
    assert signed_in.post(path).status_code == 302
    assert membership(org_a, org_b.viewer).role == "member"


def test_an_invitation_of_one_organization_does_not_work_on_another(org_a: Any, org_b: Any, client_for: Any) -> None:
    path = invite(org_a)
    response = client_for(None, org_b).get(path)
    assert response.status_code == 410


def test_a_withdrawn_invitation_is_refused(org_a: Any, client_for: Any) -> None:
    path = invite(org_a)
    invitation = Invitation.objects.get()
    client_for(org_a.admin, org_a).post(f"/invitations/{invitation.pk}/revoke/")
    assert "withdrawn" in client_for(None, org_a).get(path).content.decode()
