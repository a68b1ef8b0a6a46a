"""The explorer in a real browser: group-by, filter, basis switch, chart click to drill-down, CSV.

Screenshots of home and the explorer are written under the test's tmp dir (path printed).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from finops.testing_browser import chromium, wait_until
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser
FOCUS_SMALL = Path(settings.BASE_DIR) / "costs" / "tests" / "fixtures" / "focus_small.csv"


def test_a_member_explores_costs_in_the_browser(
    live_server: Any, settings: Any, committed_org: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    acme = committed_org("acme")
    call_command("ingest_file", "--org", "acme", str(FOCUS_SMALL), stdout=io.StringIO())
    sign_in = handoff_url_create(user=acme.viewer, organization=acme.organization)
    base = f"http://acme.localhost:{settings.PUBLIC_PORT}"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(sign_in)
        page.goto(f"{base}/")
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

        page.goto(f"{base}/costs/?start=2025-02-01&end=2025-03-31&granularity=month")
        wait_until(
            page,
            "() => Boolean(document.querySelector('canvas.cost-chart') && document.querySelector('canvas.cost-chart').chart)",
        )
        assert "Billed" in page.inner_text("#basis-label")
        total = page.inner_text("#breakdown-table tfoot td.total")
        assert total == "$23.30"  # 10.12 + 0.00 + 5.25 + 0.93 (March) + 7.00 (February)
        page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)

        # Group by account, then keep only one service, then switch the basis.
        page.select_option("#id_group_by", "sub_account_id")
        page.click("#explorer-form button[type=submit]")
        page.wait_for_url("**group_by=sub_account_id**")
        assert "acme-prod (444455556666)" in page.inner_text("#breakdown-table")
        page.select_option("#id_filter_dimension", "service_name")
        page.fill("#id_filter_value", "Amazon Elastic Compute Cloud")
        page.click("#explorer-form button[type=submit]")
        page.wait_for_url("**include.service_name=**")
        assert page.inner_text("#breakdown-table tfoot td.total") == "$18.05"  # 10.12 + 0.93 + 7.00
        page.select_option("#id_basis", "effective_cost")
        page.click("#explorer-form button[type=submit]")
        page.wait_for_url("**basis=effective_cost**")
        assert "Effective (amortized)" in page.inner_text("#basis-label")
        assert page.inner_text("#breakdown-table tfoot td.total") == "$17.43"  # 9.50 + 0.93 + 7.00

        # Hovering a bar shows its value; clicking it opens the line items behind it.
        wait_until(page, "() => Boolean(document.querySelector('canvas.cost-chart')?.chart)")
        point = page.evaluate(
            "() => { const c = document.querySelector('canvas.cost-chart').chart;"
            " const bar = c.getDatasetMeta(0).data[1]; const r = c.canvas.getBoundingClientRect();"
            " return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2}; }"
        )
        page.mouse.move(point["x"], point["y"])
        wait_until(page, "() => document.querySelector('canvas.cost-chart').chart.tooltip.opacity > 0")
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url("**/costs/line-items/**")
        rows = page.inner_text("#line-items")
        assert "i-0001" in rows and "Hours" in rows and "db-1" not in rows

        # The table's CSV downloads with the same figures.
        page.go_back()
        page.wait_for_selector("#export-csv")
        with page.expect_download() as download_info:
            page.click("#export-csv")
        download = download_info.value
        text = Path(download.path()).read_text()
        assert download.suggested_filename.endswith("_by_sub_account_id_effective_cost.csv")
        assert Decimal(text.strip().splitlines()[-1].split(",")[-1]) == Decimal("17.43")
    print(f"screenshots: {tmp_path / 'home.png'} {tmp_path / 'explorer.png'}")
