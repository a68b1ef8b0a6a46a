"""Free text that reaches mail headers and logs: control characters are a form error, mail goes out after commit."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from finops.validators import control_character_in
from tenants.models import Invitation, Organization

HOSTILE = ["Acme\r\nBcc: everyone@example.test", "Acme\x1b[2J", "Acme\tInc", "Acme\u202etxt.exe", "Acme\u2028Inc"]


@pytest.mark.parametrize("name", HOSTILE)
def test_settings_refuse_an_organization_name_with_a_control_character(org_a: Any, client_for: Any, name: str) -> None:
    response = client_for(org_a.owner, org_a).post(
        "/settings/", {"name": name, "default_currency": "USD", "time_zone": "UTC"}
    )

    assert response.status_code == 200
    assert "control character (U+" in " ".join(response.context["form"].errors["name"])
    assert Organization.objects.get(pk=org_a.organization.pk).name == "Acme"


def test_sign_up_refuses_an_organization_name_with_a_line_break(public_client: Any) -> None:
    response = public_client.post(
        "/signup/",
        {
            "organization_name": "Initech\r\nX-Evil: 1",
            "slug": "initech",
            "email": "peter@initech.test",
            "password": "a very long passphrase 42",
        },
    )

    assert response.status_code == 200
    assert "control character (U+000D)" in " ".join(response.context["form"].errors["organization_name"])
    assert not Organization.objects.filter(slug="initech").exists()


def test_an_invitation_to_an_address_with_an_escape_character_is_refused(org_a: Any, client_for: Any) -> None:
    # Django's EmailValidator accepts control characters inside a quoted local part.
    response = client_for(org_a.owner, org_a).post(
        "/members/invite/", {"email": '"a\x1bb"@example.test', "role": "member"}, follow=True
    )

    assert "control character (U+001B)" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_validator_names_what_it_refuses_and_lets_plain_text_through() -> None:
    assert control_character_in("Zürich Ops — 東京 (prod) & <b>") is None
    assert control_character_in("tab\there") == "\t"
    assert control_character_in("rlo\u202e") == "\u202e"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_invitation_whose_mail_cannot_be_sent_is_reported_and_not_kept(
    committed_org: Any, client_for: Any, settings: Any
) -> None:
    # A real SMTP connection to a port nobody listens on: the send fails after the commit.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    world = committed_org("acme")

    response = client_for(world.owner, world).post(
        "/members/invite/", {"email": "new@example.test", "role": "member"}, follow=True
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "could not be sent" in page and "no invitation was created" in page
    assert not Invitation.objects.filter(email="new@example.test").exists()


def test_a_stored_name_that_breaks_a_mail_header_is_reported_not_a_500(
    committed_org: Any, client_for: Any, mailoutbox: Any
) -> None:
    # A name saved before names were validated (or by a path that skipped the form).
    world = committed_org("acme")
    Organization.objects.filter(pk=world.organization.pk).update(name="Acme\r\nBcc: everyone@example.test")

    response = client_for(world.owner, world).post(
        "/members/invite/", {"email": "new@example.test", "role": "member"}, follow=True
    )

    assert response.status_code == 200
    assert "could not be sent (BadHeaderError)" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []
