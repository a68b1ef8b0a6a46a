"""Home with data and saved views in a real browser: the home chart draws (under the CSP), a view is
saved from the explorer, reopened from the list, renamed and deleted. Screenshots of home and the
saved-views list are written under the test's tmp dir (path printed)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from costs.explorer.tests.bills import ingest, write_bill
from finops.testing_browser import chromium, wait_until
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def test_home_with_data_and_a_saved_view_saved_reopened_renamed_and_deleted(
    live_server: Any, settings: Any, committed_org: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    acme = committed_org("acme")
    ingest("acme", write_bill(tmp_path / "bill.csv", today=timezone.now().date()))
    sign_in = handoff_url_create(user=acme.viewer, organization=acme.organization)
    base = f"http://acme.localhost:{settings.PUBLIC_PORT}"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
        )
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        page.goto(sign_in)
        page.goto(f"{base}/")
        wait_until(
            page,
            "() => document.querySelectorAll('canvas.cost-chart').length === 2"
            " && [...document.querySelectorAll('canvas.cost-chart')].every(c => c.chart)",
        )
        assert "Month to date" in page.inner_text("#home-cards")
        assert "AWS Lambda" in page.inner_text("#top-movers")
        page.select_option("#id_tag_key", "env")
        page.click("#untagged button[type=submit]")
        page.wait_for_url("**tag_key=env**")
        assert "has no env tag" in page.inner_text("#untagged")
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
        assert errors == [] and missing == []  # nothing refused by the content security policy, no chart error

        # A bar of the 90-day chart opens the line items of that service and day.
        point = page.evaluate(
            "() => { const c = [...document.querySelectorAll('canvas.cost-chart')].at(-1).chart;"
            " c.canvas.scrollIntoView(); const bar = c.getDatasetMeta(0).data.at(-1);"
            " const r = c.canvas.getBoundingClientRect();"
            " return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2, label: c.data.datasets[0].label}; }"
        )
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url("**/costs/line-items/**")
        yesterday = (timezone.now().date() - datetime.timedelta(days=1)).isoformat()
        assert f"start={yesterday}&end={yesterday}" in page.url
        assert point["label"] in page.inner_text("body")

        # Save the explorer's question under a name.
        page.goto(f"{base}/costs/?range=last_30_days&group_by=sub_account_id&basis=effective_cost")
        page.fill("#id_save_name", "Accounts, last 30 days")
        page.click("#save-view button[type=submit]")
        page.wait_for_url("**/costs/?range=last_30_days**group_by=sub_account_id**")

        # Reopen it from the list: the explorer shows the saved question.
        page.goto(f"{base}/")
        page.goto(f"{base}/costs/views/")
        page.click("text=Accounts, last 30 days")
        page.wait_for_url("**/costs/?range=last_30_days**")
        assert page.input_value("#id_group_by") == "sub_account_id"
        assert page.input_value("#id_basis") == "effective_cost"
        assert "acme-prod (444455556666)" in page.inner_text("#breakdown-table")

        # Rename it (a duplicate-free new name), then delete it.
        page.goto(f"{base}/costs/views/")
        page.click("a.rename-view")
        page.fill("#id_name", "Accounts (amortized)")
        page.click("#rename-view-form button[type=submit]")
        page.wait_for_url("**/costs/views/")
        assert "Accounts (amortized)" in page.inner_text("#saved-views")
        page.screenshot(path=str(tmp_path / "saved_views.png"), full_page=True)
        page.click("button.delete-view")
        page.wait_for_selector("#empty-state")
        assert "No saved views yet" in page.inner_text("#empty-state")
    print(f"screenshots: {tmp_path / 'home.png'} {tmp_path / 'saved_views.png'}")
