"""Counters that guard an account hold on every host: organization hosts and the public one alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import PASSWORD
from tenants.services import members as member_services

LOCKED = "Too many failed login attempts"


def login(client: Client, email: str, password: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_lockout_on_one_organizations_host_holds_on_every_other_host(
    org_a: Any, org_b: Any, public_client: Any
) -> None:
    host_a = Client(HTTP_HOST=org_a.host)
    for _ in range(5):
        assert LOCKED not in login(host_a, org_a.viewer.email, "wrong password!!").content.decode()

    # The right password, from the same address, on host B and on the public host: refused.
    for elsewhere in (Client(HTTP_HOST=org_b.host), public_client):
        response = login(elsewhere, org_a.viewer.email, PASSWORD)
        assert response.status_code == 200 and LOCKED in response.content.decode()
        assert "_auth_user_id" not in elsewhere.session


def test_the_accounts_own_counter_holds_from_another_address_and_host(org_a: Any, org_b: Any) -> None:
    for n in range(5):
        login(Client(HTTP_HOST=org_a.host, REMOTE_ADDR=f"198.51.100.{n + 1}"), org_a.viewer.email, "wrong password!!")

    elsewhere = Client(HTTP_HOST=org_b.host, REMOTE_ADDR="203.0.113.50")
    assert LOCKED in login(elsewhere, org_a.viewer.email, PASSWORD).content.decode()
    # Another account is not affected.
    assert login(elsewhere, org_b.viewer.email, PASSWORD).status_code == 302


def test_a_totp_code_used_on_one_host_cannot_be_replayed_on_another(org_a: Any, org_b: Any) -> None:
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = generate_totp_secret()
    TOTP.activate(org_a.viewer, secret)
    code = format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))

    first = Client(HTTP_HOST=org_a.host)
    assert login(first, org_a.viewer.email, PASSWORD)["Location"] == "/accounts/2fa/authenticate/"
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302

    replay = Client(HTTP_HOST=org_b.host, REMOTE_ADDR="203.0.113.60")
    assert login(replay, org_a.viewer.email, PASSWORD)["Location"] == "/accounts/2fa/authenticate/"
    refused = replay.post("/accounts/2fa/authenticate/", {"code": code})
    assert refused.status_code == 200  # the form again, with its error: the code was used
    assert "_auth_user_id" not in replay.session


def test_password_reset_requests_for_one_account_are_counted_across_hosts(
    org_a: Any, org_b: Any, public_client: Any, mailoutbox: Any
) -> None:
    hosts = [Client(HTTP_HOST=h, REMOTE_ADDR=f"198.51.100.{n}") for n, h in enumerate([org_a.host, org_b.host] * 3)]
    for client in hosts[:5]:
        client.post("/accounts/password/reset/", {"email": org_a.viewer.email})
    assert len(mailoutbox) == 5

    hosts[5].post("/accounts/password/reset/", {"email": org_a.viewer.email})
    public_client.post("/accounts/password/reset/", {"email": org_a.viewer.email})

    assert len(mailoutbox) == 5


def test_guessed_invitation_links_are_throttled_across_hosts(org_a: Any, org_b: Any, settings: Any) -> None:
    settings.INVITATION_TOKEN_FAILURES_PER_ADDRESS = "3/600"
    _, link = member_services.invitation_create(
        organization=org_b.organization, email="new@example.test", role="member", invited_by=org_b.owner
    )
    guesser_on_a = Client(HTTP_HOST=org_a.host)
    assert [guesser_on_a.get(f"/invitations/guess{n}/").status_code for n in range(3)] == [410, 410, 410]

    # The same address on another organization's host, even with a real link: 429.
    assert Client(HTTP_HOST=org_b.host).get(link.split(":8000", 1)[1]).status_code == 429
    # Someone else is not affected.
    assert Client(HTTP_HOST=org_b.host, REMOTE_ADDR="203.0.113.70").get(link.split(":8000", 1)[1]).status_code == 200


def test_allauths_counters_live_in_the_global_alias() -> None:
    # If an allauth upgrade moves these, the lockout tests above fail; this says where to look.
    from allauth.core.internal import ratelimit
    from allauth.mfa.totp.internal import auth as totp_auth

    from finops.account_guards import ACCOUNT_GUARDS_CACHE

    for module in (ratelimit, totp_auth):
        assert module.cache._alias == ACCOUNT_GUARDS_CACHE  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"), [(0, "203.0.113.5", "127.0.0.1"), (1, "10.0.0.1, 203.0.113.5", "203.0.113.5")]
)
def test_the_client_address_behind_the_load_balancer_is_the_forwarded_one(
    settings: Any, count: int, forwarded: str, expected: str
) -> None:
    from django.test import RequestFactory

    from finops.account_guards import client_address

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_address(request) == expected
