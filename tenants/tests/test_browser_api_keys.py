"""API keys in a real Chromium: an admin creates a key, sees its secret once, the key reads the API,
revoking it stops it; the API docs render from our static files under the Content-Security-Policy."""

from __future__ import annotations

import http.client
from typing import Any

import pytest

from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def api_status(port: str, host: str, secret: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    try:
        connection.request("GET", "/api/v1/costs/summary", headers={"Host": host, "Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_an_admin_creates_uses_and_revokes_a_key_and_reads_the_docs(
    live_server: Any, settings: Any, committed_org: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port
    world = committed_org("keysui")
    host = f"keysui.localhost:{port}"
    with chromium() as browser:
        page = browser.new_context().new_page()
        violations: list[str] = []
        page.on(
            "console", lambda message: violations.append(message.text) if "Content Security" in message.text else None
        )
        page.goto(handoff_url_create(user=world.admin, organization=world.organization))
        page.goto(f"http://{host}/api-keys/")
        page.fill("#api-key-form input[name=name]", "nightly export")
        page.select_option("#api-key-form select[name=scope]", "read")
        page.click("#api-key-form button[type=submit]")
        secret = page.locator("#new-key-secret").inner_text().strip()
        assert secret.startswith("fo_")
        assert f"Bearer {secret}" in page.locator("#curl-example").inner_text()
        assert api_status(port, host, secret) == 200

        page.goto(f"http://{host}/api-keys/")
        assert secret not in page.content()  # shown once
        row = page.locator("#api-keys-table tbody tr").first
        assert "nightly export" in row.inner_text() and "Read" in row.inner_text()
        row.locator("button", has_text="Revoke").click()
        page.wait_for_selector("text=revoked: it stops working now")
        assert api_status(port, host, secret) == 401

        page.goto(f"http://{host}/api/v1/docs/")
        page.wait_for_selector(".swagger-ui .info .title")
        assert "FinOps API" in page.locator(".swagger-ui .info .title").inner_text()
        page.wait_for_selector('[data-path="/api/v1/costs/summary"]')
        assert violations == []
