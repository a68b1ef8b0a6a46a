from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_exists

from finops.db import use_public_schema
from tenants.models import Domain, Membership, Organization, SignupRequest

GOOD = {
    "organization_name": "Initech",
    "slug": "initech",
    "email": "peter@initech.test",
    "password": "a very long passphrase 42",
}


def post_signup(public_client: Any, **overrides: str) -> Any:
    return public_client.post("/signup/", {**GOOD, **overrides})


def signup_link(mailoutbox: Any, email: str = "peter@initech.test") -> str:
    """The path of the sign-up link mailed to `email` (on the public site, from the configured site)."""
    (message,) = [m for m in mailoutbox if email in m.to]
    link = re.search(r"http://localhost:8000(/signup/confirm/\S+/)", str(message.body))
    assert link is not None, message.body
    return link.group(1)


def assert_nothing_created(slug: str = "initech", email: str = "peter@initech.test") -> None:
    assert not Organization.objects.filter(slug=slug).exclude(schema_name="public").exists()
    assert not get_user_model().objects.filter(email=email).exists()
    assert not schema_exists(f"org_{slug.replace('-', '_')}")


def test_the_emailed_link_creates_the_organization_schema_owner_and_hands_the_browser_over(
    public_client: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = post_signup(public_client)
    assert sent.status_code == 302 and sent["Location"] == "/signup/sent/"
    assert_nothing_created()  # nothing exists until the link is used
    path = signup_link(mailoutbox)
    assert b"Create Initech" in public_client.get(path).content  # a GET (mail scanners) creates nothing
    assert_nothing_created()

    response = public_client.post(path)

    assert response.status_code == 302
    assert response["Location"].startswith("http://initech.localhost:8000/auth/handoff/?token=")
    org = Organization.objects.get(slug="initech")
    assert org.schema_name == "org_initech"
    assert schema_exists("org_initech")
    assert Domain.objects.filter(tenant=org, domain="initech.localhost", is_primary=True).exists()
    membership = Membership.objects.get(organization=org)
    assert membership.user.email == "peter@initech.test" and membership.role == "owner"
    assert membership.user.check_password(GOOD["password"])
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="peter@initech.test").verified  # the link proved it

    from django.test import Client

    tenant_client = Client(HTTP_HOST="initech.localhost")
    landed = tenant_client.get(response["Location"].split(":8000")[1], follow=True)
    assert landed.status_code == 200
    assert b"Initech" in landed.content
    # The hand-off ticket and the sign-up link are single-use.
    again = Client(HTTP_HOST="initech.localhost").get(response["Location"].split(":8000")[1])
    assert again.status_code == 302 and "/accounts/login/" in again["Location"]
    assert public_client.post(path).status_code == 410


def test_sign_up_answers_the_same_whether_the_email_has_an_account_or_not(
    public_client: Any, org_a: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    answers = []
    for email, slug in (("nobody@initech.test", "initech"), (org_a.owner.email.upper(), "acme-two")):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client(HTTP_HOST="localhost").post("/signup/", {**GOOD, "email": email, "slug": slug})
        answers.append((response.status_code, response["Location"], sorted(response.cookies)))
    assert answers[0] == answers[1] == (302, "/signup/sent/", [])

    to_existing = next(m for m in mailoutbox if org_a.owner.email in m.to)
    assert "Someone (maybe you) tried to create an organization" in to_existing.body
    assert "/signup/confirm/" not in to_existing.body and "Initech" not in to_existing.body
    assert not SignupRequest.objects.filter(email=org_a.owner.email).exists()
    assert not Organization.objects.filter(slug="acme-two").exists()
    assert SignupRequest.objects.filter(email="nobody@initech.test").exists()


def test_sign_up_is_throttled_per_client_address_and_for_everyone(public_client: Any, settings: Any) -> None:
    from django.test import Client

    settings.SIGNUP_RATE_PER_ADDRESS, settings.SIGNUP_RATE_GLOBAL = "2/3600", "3/3600"

    def attempt(n: int, address: str) -> int:
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR=address)
        return int(client.post("/signup/", {**GOOD, "email": f"p{n}@initech.test"}).status_code)

    assert [attempt(n, "198.51.100.7") for n in range(3)] == [302, 302, 429]
    # Another address still gets in, until everyone together reaches the global limit.
    assert attempt(3, "203.0.113.9") == 302
    assert attempt(4, "203.0.113.10") == 429
    page = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.11").post("/signup/", GOOD).content.decode()
    assert "Sign-up is very busy" in page


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
    public_client: Any, monkeypatch: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tenants.services import provisioning

    def clone_then_fail(schema_name: str) -> None:
        original(schema_name)
        raise RuntimeError("disk full")

    original = provisioning._schema_clone_from_template
    monkeypatch.setattr(provisioning, "_schema_clone_from_template", clone_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(public_client)

    with pytest.raises(RuntimeError, match="disk full"):
        public_client.post(signup_link(mailoutbox))

    use_public_schema()
    assert_nothing_created()
    assert not Domain.objects.filter(domain="initech.localhost").exists()
    assert SignupRequest.objects.get().used_at is None  # the link still works once the disk is fixed


def test_a_slug_taken_before_the_link_is_used_creates_nothing(
    public_client: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(public_client)
        post_signup(public_client, email="samir@initech.test")
    public_client.post(signup_link(mailoutbox, "samir@initech.test"))

    late = public_client.post(signup_link(mailoutbox))

    assert late.status_code == 410
    assert "was taken in the meantime" in late.content.decode()
    assert not get_user_model().objects.filter(email="peter@initech.test").exists()


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
