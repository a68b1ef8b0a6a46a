"""Sign-up to a working team, end to end in a real Chromium on *.localhost subdomains."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from finops.db import use_public_schema
from finops.testing_browser import chromium

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase 9"


@pytest.fixture
def site(live_server: Any, settings: Any) -> Any:
    from tenants.services.provisioning import public_tenant_ensure

    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    public_tenant_ensure()
    yield port
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA IF EXISTS "org_initech" CASCADE')


def test_sign_up_invite_a_member_who_accepts_and_signs_in(site: str) -> None:
    public = f"http://localhost:{site}"
    org = f"http://initech.localhost:{site}"
    with chromium() as browser:
        owner = browser.new_context().new_page()
        owner.goto(f"{public}/signup/")
        owner.fill("#id_organization_name", "Initech")
        owner.fill("#id_slug", "initech")
        owner.fill("#id_email", "peter@initech.test")
        owner.fill("#id_password", PASSWORD)
        owner.click("#signup-form button[type=submit]")
        owner.wait_for_selector("#signup-sent")
        confirmation = next(m for m in mail.outbox if "peter@initech.test" in m.to)
        signup_link = re.search(r"http://\S+/signup/confirm/\S+/", str(confirmation.body))
        assert signup_link is not None and signup_link.group(0).startswith(f"{public}/signup/confirm/")
        owner.goto(signup_link.group(0))
        owner.click("#signup-confirm-form button[type=submit]")
        owner.wait_for_url(f"{org}/")
        assert owner.locator("h1").inner_text() == "Initech"
        assert "owner of this organization" in owner.content()

        owner.click("nav >> text=Members")
        owner.fill("#invite-form input[name=email]", "milton@initech.test")
        owner.select_option("#invite-form select[name=role]", "member")
        owner.click("#invite-form button[type=submit]")
        owner.wait_for_selector("text=Invitation sent to milton@initech.test")

        invitation = next(m for m in mail.outbox if "milton@initech.test" in m.to)
        link = re.search(r"http://\S+/invitations/\S+/", str(invitation.body))
        assert link is not None and link.group(0).startswith(f"{org}/invitations/")

        member_context = browser.new_context()  # a different browser: no shared cookies
        member = member_context.new_page()
        member.goto(link.group(0))
        assert "Join Initech" in member.content()
        member.fill("input[name=password]", PASSWORD)
        member.click("#accept-form button[type=submit]")
        member.wait_for_url(f"{org}/")
        assert "member of this organization" in member.content()

        # Sign out, then sign in again as the member, on the organization's own host.
        member.click("text=Sign out")
        member.wait_for_url(re.compile(r".*/accounts/login/.*"))
        member.fill("input[name=login]", "milton@initech.test")
        member.fill("input[name=password]", PASSWORD)
        member.click("form button[type=submit]")
        member.wait_for_url(f"{org}/")
        assert "member of this organization" in member.content()

        # The owner now sees the member in the list.
        owner.goto(f"{org}/members/")
        assert owner.locator("#members-table tr[data-email='milton@initech.test']").count() == 1
