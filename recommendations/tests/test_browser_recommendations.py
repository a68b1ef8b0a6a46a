"""In a real browser: the list, a recommendation's detail, and a status change that lands in its history."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import tenant_context

from finops.testing_browser import chromium
from recommendations.models import Recommendation, Status
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def test_list_detail_and_a_status_change(live_server: Any, settings: Any, committed_org: Any) -> None:
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    settings.RECOMMENDATIONS_PROVIDER = "offline"
    acme = committed_org("acme")
    with tenant_context(acme.organization):
        run = stored(3)
        run.provider = "offline"
        rationales_refresh(run=run)
        top = Recommendation.objects.order_by("-monthly_savings")[0]
    sign_in = handoff_url_create(user=acme.owner, organization=acme.organization)

    with chromium() as browser:
        page = browser.new_page()
        page.goto(sign_in)
        page.goto(f"http://acme.localhost:{settings.PUBLIC_PORT}/recommendations/")
        assert page.inner_text("#total-savings") == "$33.75"  # 10.25 + 11.25 + 12.25
        assert page.is_visible("#offline-notice")
        page.click(f"tr[data-recommendation='{top.pk}'] a")
        page.wait_for_selector("#title")
        assert page.inner_text("#title") == top.title
        assert page.inner_text("#savings") == f"${top.monthly_savings:.2f}"
        assert page.locator(".explorer-link").count() == 1

        page.select_option("#id_to_status", "dismissed")
        page.fill("#id_reason", "volume is migrated next quarter")
        page.click("#status-form button[type=submit]")
        page.wait_for_selector("#history")
        assert page.inner_text("#status") == "Dismissed"
        assert "volume is migrated next quarter" in page.inner_text("#history")

    with tenant_context(acme.organization):
        top.refresh_from_db()
        assert top.status == Status.DISMISSED
