"""Time to first insight, in a browser: upload a bill, follow the job, land in the explorer.

One flow shared by the browser test (which checks it works and shows the right total) and
`make bench ONLY=time_to_first_insight` (which times it). Both drive a real Chromium against
a live server whose uploads are ingested by a real Celery worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOB_TIMEOUT_MS = 15 * 60 * 1000  # a big upload on a busy machine; the job page polls every second


@dataclass(frozen=True)
class FirstInsight:
    seconds: float  # from the upload click to the explorer's table and chart shown
    explorer_url: str
    total: str  # the explorer table's grand total, as shown
    job_url: str


def upload_to_explorer(page: Any, *, base: str, path: Path) -> FirstInsight:
    """On `page` (signed in as a member who may upload), upload `path` and follow the job to the explorer."""
    page.goto(f"{base}/cloud-accounts/upload/")
    page.set_input_files("#upload-form input[type=file]", str(path))
    began = time.perf_counter()
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/cloud-accounts/jobs/*/", timeout=JOB_TIMEOUT_MS)
    job_url = page.url
    # Selectors, not wait_for_function: the pages' CSP forbids the eval its polling needs.
    page.wait_for_selector("#job-explorer-link:visible, #job-error:visible", timeout=JOB_TIMEOUT_MS)
    if page.is_visible("#job-error"):
        raise RuntimeError(f"the upload's job failed: {page.inner_text('#job-error')}")
    page.click("#job-explorer-link")
    page.wait_for_url("**/costs/?*")
    page.wait_for_selector("#breakdown-table tfoot td.total")
    while not page.evaluate("!!(document.querySelector('canvas.cost-chart') || {}).chart"):
        page.wait_for_timeout(20)  # the chart is drawn once its script has run
    seconds = time.perf_counter() - began
    return FirstInsight(
        seconds=seconds,
        explorer_url=page.url,
        total=page.inner_text("#breakdown-table tfoot td.total"),
        job_url=job_url,
    )
