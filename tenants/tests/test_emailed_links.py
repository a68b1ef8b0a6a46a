"""Every link we email is built from the configured site (scheme, base domain, port), never from the Host header."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tenants.auth_adapter import links_off_site

NEW_PASSWORD = "brand new passphrase 2026"


def reset_link(mailoutbox: Any) -> str:
    (message,) = mailoutbox
    found = re.findall(r"https?://\S+", str(message.body))
    assert found, message.body
    return str(found[0])


@pytest.mark.parametrize("host", ["localhost:31337", "globex.localhost", "globex.localhost:8000"])
def test_a_password_reset_links_to_the_configured_site_whatever_the_host(
    host: str, org_a: Any, org_b: Any, mailoutbox: Any
) -> None:
    Client(HTTP_HOST=host).post("/accounts/password/reset/", {"email": org_a.viewer.email})

    link = reset_link(mailoutbox)
    assert link.startswith("http://localhost:8000/accounts/password/reset/key/")
    body = str(mailoutbox[0].body)
    assert "31337" not in body and "globex" not in body.lower()

    # The link works where it points: the public site.
    public = Client(HTTP_HOST="localhost")
    form = public.get(link.split(":8000", 1)[1], follow=True)
    assert form.status_code == 200
    done = public.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    signed_in = Client(HTTP_HOST=org_a.host).post(
        "/accounts/login/", {"login": org_a.viewer.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_the_unknown_address_mail_links_to_our_sign_up_on_the_configured_site(db: Any, mailoutbox: Any) -> None:
    from tenants.services.provisioning import public_tenant_ensure

    public_tenant_ensure()
    Client(HTTP_HOST="localhost:31337").post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert reset_link(mailoutbox) == "http://localhost:8000/signup/"
    assert "31337" not in str(mailoutbox[0].body)


def test_an_address_confirmation_links_to_the_configured_site(org_a: Any, mailoutbox: Any) -> None:
    client = Client(HTTP_HOST="localhost:31337")
    client.force_login(org_a.viewer)

    client.post("/accounts/email/", {"email": "second@acme.test", "action_add": ""})

    (message,) = [m for m in mailoutbox if "second@acme.test" in m.to]
    links = re.findall(r"https?://\S+", str(message.body))
    assert links and all(link.startswith("http://localhost:8000/accounts/confirm-email/") for link in links)
    assert "31337" not in str(message.body)


def test_links_off_the_configured_site_are_recognised() -> None:
    assert links_off_site("see http://localhost:8000/x/ and http://acme.localhost:8000/y/") == []
    assert links_off_site("go to http://localhost:31337/x/ now") == ["http://localhost:31337/x/"]
    assert links_off_site("https://localhost:8000/x/") == ["https://localhost:8000/x/"]  # wrong scheme
    assert links_off_site("http://evil.test/?localhost:8000") == ["http://evil.test/?localhost:8000"]
    assert links_off_site("http://localhost:8000.evil.test/") == ["http://localhost:8000.evil.test/"]
