from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_exists

from finops.db import use_public_schema
from tenants.models import Domain, Membership, Organization

GOOD = {
    "organization_name": "Initech",
    "slug": "initech",
    "email": "peter@initech.test",
    "password": "a very long passphrase 42",
}


def post_signup(public_client: Any, **overrides: str) -> Any:
    return public_client.post("/signup/", {**GOOD, **overrides})


def assert_nothing_created(slug: str = "initech", email: str = "peter@initech.test") -> None:
    assert not Organization.objects.filter(slug=slug).exclude(schema_name="public").exists()
    assert not get_user_model().objects.filter(email=email).exists()
    assert not schema_exists(f"org_{slug.replace('-', '_')}")


def test_signup_creates_the_organization_schema_owner_and_hands_the_browser_over(public_client: Any) -> None:
    response = post_signup(public_client)

    assert response.status_code == 302
    assert response["Location"].startswith("http://initech.localhost:8000/auth/handoff/?token=")
    org = Organization.objects.get(slug="initech")
    assert org.schema_name == "org_initech"
    assert schema_exists("org_initech")
    assert Domain.objects.filter(tenant=org, domain="initech.localhost", is_primary=True).exists()
    membership = Membership.objects.get(organization=org)
    assert membership.user.email == "peter@initech.test" and membership.role == "owner"

    from django.test import Client

    tenant_client = Client(HTTP_HOST="initech.localhost")
    landed = tenant_client.get(response["Location"].split(":8000")[1], follow=True)
    assert landed.status_code == 200
    assert b"Initech" in landed.content
    # The hand-off ticket is single-use.
    again = Client(HTTP_HOST="initech.localhost").get(response["Location"].split(":8000")[1])
    assert again.status_code == 302 and "/accounts/login/" in again["Location"]


def test_signup_sends_an_email_verification_message(public_client: Any, mailoutbox: Any) -> None:
    post_signup(public_client)
    assert any("peter@initech.test" in m.to for m in mailoutbox)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "www"}, "slug", "reserved"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "public"}, "slug", "reserved"),
        ({"slug": "Not_A_Label"}, "slug", "lowercase letters"),
        ({"slug": "-leading"}, "slug", "lowercase letters"),
        ({"slug": "a" * 51}, "slug", ""),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password": "short"}, "password", "too short"),
        ({"password": "password12345"}, "password", "too common"),
    ],
)
def test_invalid_signup_shows_the_error_and_creates_nothing(
    public_client: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    response = post_signup(public_client, **overrides)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert_nothing_created(slug=overrides.get("slug", "initech").lower())


def test_a_taken_slug_is_refused(public_client: Any, org_a: Any) -> None:
    response = post_signup(public_client, slug="acme")
    assert "already taken" in " ".join(response.context["form"].errors["slug"])
    assert Organization.objects.filter(slug="acme").count() == 1


def test_a_failure_halfway_through_provisioning_leaves_no_schema_and_no_rows(
    public_client: Any, monkeypatch: Any
) -> None:
    from tenants.services import provisioning

    def clone_then_fail(schema_name: str) -> None:
        original(schema_name)
        raise RuntimeError("disk full")

    original = provisioning._schema_clone_from_template
    monkeypatch.setattr(provisioning, "_schema_clone_from_template", clone_then_fail)

    with pytest.raises(RuntimeError, match="disk full"):
        post_signup(public_client)

    use_public_schema()
    assert_nothing_created()
    assert not Domain.objects.filter(domain="initech.localhost").exists()


def test_signed_in_user_can_create_a_second_organization(public_client: Any, org_a: Any) -> None:
    public_client.force_login(org_a.owner)
    response = public_client.post("/signup/", {"organization_name": "Acme Labs", "slug": "acme-labs"})
    assert response.status_code == 302
    org = Organization.objects.get(slug="acme-labs")
    assert org.schema_name == "org_acme_labs"
    assert Membership.objects.get(organization=org).user == org_a.owner


def test_create_org_command_provisions_like_signup(db: Any, capsys: Any) -> None:
    from django.core.management import call_command

    from tenants.services.provisioning import public_tenant_ensure

    public_tenant_ensure()
    call_command("create_org", slug="hooli", name="Hooli", owner_email="gavin@hooli.test")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "http://hooli.localhost:8000/"
    assert "owner password:" in out
    org = Organization.objects.get(slug="hooli")
    assert schema_exists(org.schema_name)
    assert Membership.objects.get(organization=org).role == "owner"


def test_create_org_command_rejects_a_reserved_slug(db: Any) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="reserved"):
        call_command(
            "create_org", slug="api", name="API", owner_email="x@api.test", owner_password="long enough pass 1"
        )
    assert not get_user_model().objects.filter(email="x@api.test").exists()


def test_the_verification_link_confirms_the_owners_email(public_client: Any, mailoutbox: Any) -> None:
    import re

    from allauth.account.models import EmailAddress

    post_signup(public_client)
    (message,) = [m for m in mailoutbox if "peter@initech.test" in m.to]
    link = re.search(r"https?://localhost(?::\d+)?(/accounts/confirm-email/\S+/)", str(message.body))
    assert link is not None
    assert not EmailAddress.objects.get(email="peter@initech.test").verified

    assert public_client.get(link.group(1)).status_code == 200
    public_client.post(link.group(1))

    assert EmailAddress.objects.get(email="peter@initech.test").verified
