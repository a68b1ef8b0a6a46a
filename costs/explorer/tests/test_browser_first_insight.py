"""A new organization uploads its CUR in the browser and, following the job, sees that month in the explorer.

A real Celery worker ingests the upload; the explorer's total for the delivered month must equal
the file's own total, summed by DuckDB over the raw Parquet (no app code).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costs.demo.generator import cur_generate
from costs.explorer.first_insight import upload_to_explorer
from costs.selectors import money_format
from finops.testing_browser import chromium
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser


def test_a_new_organization_uploads_a_cur_and_follows_its_job_into_the_explorer(
    live_server: Any,
    settings: Any,
    committed_org: Any,
    celery_worker_process: Any,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    newco = committed_org("newco")
    generated = cur_generate(out=tmp_path, months=1, rows=3_000, start=datetime.date(2025, 3, 1))
    (bill,) = generated.periods[0].files
    ((total,),) = (
        duckdb.connect()
        .execute(f"SELECT SUM(CAST(line_item_unblended_cost AS DECIMAL(38,12))) FROM read_parquet('{bill}')")
        .fetchall()
    )
    sign_in = handoff_url_create(user=newco.owner, organization=newco.organization)

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(sign_in)
        seen = upload_to_explorer(page, base=f"http://newco.localhost:{settings.PUBLIC_PORT}", path=bill)
        page.screenshot(path=str(tmp_path / "first-insight.png"), full_page=True)

    assert "/cloud-accounts/jobs/" in seen.job_url
    assert "start=2025-03-01&end=2025-03-31" in seen.explorer_url
    assert Decimal(total) != 0
    assert seen.total == money_format(Decimal(total), "USD")
