"""Sign-in on an organization's host: throttling, password reset, TOTP two-factor (django-allauth)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    # allauth keeps its rate-limit counters in the (Redis) cache, keyed by IP and login.
    cache.clear()
    yield
    cache.clear()


def login(client: Any, email: str, password: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_member_signs_in_on_the_organizations_host(org_a: Any, client_for: Any) -> None:
    client = client_for(None, org_a)
    response = login(client, org_a.viewer.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_repeated_failed_sign_ins_are_throttled(org_a: Any, client_for: Any) -> None:
    client = client_for(None, org_a)
    pages = [login(client, org_a.viewer.email, "wrong password!!").content.decode() for _ in range(6)]
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]
    # Even the right password is refused while throttled.
    throttled = login(client, org_a.viewer.email, PASSWORD)
    assert throttled.status_code == 200 and "Too many failed login attempts" in throttled.content.decode()
    assert client.get("/").status_code == 302


def test_password_reset_link_arrives_and_sets_a_new_password(org_a: Any, client_for: Any, mailoutbox: Any) -> None:
    client_for(None, org_a).post("/accounts/password/reset/", {"email": org_a.viewer.email})
    assert len(mailoutbox) == 1
    # Links go to the public site as configured (tenants/tests/test_emailed_links.py).
    link = re.search(r"http://localhost:8000(/accounts/password/reset/key/\S+)", str(mailoutbox[0].body))
    assert link is not None
    public = Client(HTTP_HOST="localhost")
    form_page = public.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "brand new passphrase 2026"
    done = public.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
                       {"password1": new_password, "password2": new_password})  # fmt: skip
    assert done.status_code == 302
    fresh = client_for(None, org_a)
    assert login(fresh, org_a.viewer.email, new_password).status_code == 302


def test_totp_two_factor_is_required_once_enabled(org_a: Any, client_for: Any) -> None:
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = generate_totp_secret()
    TOTP.activate(org_a.viewer, secret)
    client = client_for(None, org_a)

    response = login(client, org_a.viewer.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in yet

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and client.get("/").status_code == 302

    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    right = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


def test_members_can_open_their_two_factor_settings(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.viewer, org_a).get("/accounts/2fa/")
    assert response.status_code == 200
    assert b"Authenticator" in response.content


def test_allauths_bare_sign_up_page_is_closed(public_client: Any) -> None:
    response = public_client.get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content or response.status_code in (403, 404)
