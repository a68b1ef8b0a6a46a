"""`make bench ONLY=time_to_first_insight`: seconds from a new organization's upload click to its explorer.

A CUR 2.0 month of FINOPS_BENCH_FIRST_INSIGHT_ROWS (default 120,000) lines is generated; a
new organization is created and its owner signs in; Debian's Chromium (Playwright) uploads
the file on the upload page of a live server (`runserver` on loopback, in a child process)
whose job is ingested by a real Celery worker (another child), follows the job page's
progress to its link and opens the explorer. The figure is the wall time from the click on
Upload until the explorer's table and chart are shown (`costs.explorer.first_insight`); the
baseline is the job's own duration in the worker (reading, COPY, rollups, summaries), so the
rest (upload, queue, polling, the explorer page) is the difference. The explorer's total must
equal the generated file's total.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

ROWS = int(os.environ.get("FINOPS_BENCH_FIRST_INSIGHT_ROWS", "120000"))
SLUG = "bench-first-insight"
START_TIMEOUT = 120


def _log(message: str) -> None:
    print(f"[bench time_to_first_insight] {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_server(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback, our own server)
                return
        except urllib.error.HTTPError:
            return  # it answers (a 404 for a host no organization has is an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer: {log.read_text()[-3000:]}")


def _wait_for_worker(process: subprocess.Popen[bytes], node: str, log: Path) -> None:
    from finops.celery import app

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited: {log.read_text()[-3000:]}")
        if app.control.ping(destination=[node], timeout=0.5):
            return
    raise RuntimeError(f"the worker did not answer: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run() -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from costs.bench_tenant import bench_bill_generate
    from costs.explorer.first_insight import upload_to_explorer
    from costs.selectors import money_format
    from finops.celery import app
    from finops.testing_browser import chromium
    from tenants.models import Organization
    from tenants.services.handoff import handoff_url_create
    from tenants.services.provisioning import organization_create, organization_delete

    port = _free_port()
    settings.PUBLIC_PORT = str(port)  # the sign-in link names the server's port
    processes: list[subprocess.Popen[bytes]] = []
    for old in Organization.objects.filter(slug=SLUG):
        organization_delete(organization=old)
    owner, _ = get_user_model().objects.get_or_create(username="newco@example.com", email="newco@example.com")
    organization = organization_create(name="Newco", slug=SLUG, owner=owner)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-first-insight-") as tmp:
            folder = Path(tmp)
            month = time.strftime("%Y-%m", time.gmtime(time.time() - 40 * 86400))
            bill = bench_bill_generate(folder=folder / "bill", rows=ROWS, months=1, start=month)
            (period,) = bill.periods
            (path,) = period["files"]
            file_mb = Path(path).stat().st_size / 1e6
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "finops.settings",
                "PUBLIC_PORT": str(port),
                "MEDIA_ROOT": str(folder / "media"),  # where the server stores uploads and the worker reads them
            }
            app.control.purge()
            node = f"bench-first-insight-{os.getpid()}@localhost"
            worker_log, server_log = folder / "worker.log", folder / "server.log"
            with worker_log.open("wb") as out:
                command = [sys.executable, "-m", "celery", "-A", "finops", "worker", "-Q", "default,ingest,ai",
                           "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
                           "--without-mingle", "-n", node]  # fmt: skip
                processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT))
            with server_log.open("wb") as out:
                command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"]
                processes.append(
                    subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)
                )
            _wait_for_worker(processes[0], node, worker_log)
            _wait_for_server(f"http://127.0.0.1:{port}/", processes[1], server_log)
            sign_in = handoff_url_create(user=owner, organization=organization)
            base = f"http://{SLUG}.localhost:{port}"
            _log(f"uploading {period['rows']:,} rows ({file_mb:.1f} MB) at {base}")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares this thread
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(sign_in)
                seen = upload_to_explorer(page, base=base, path=Path(path))
                # From the page (same origin, its cookies): Node's resolver knows no *.localhost.
                job = page.evaluate("async (url) => (await fetch(url)).json()", f"{seen.job_url}progress.json")
            _log(f"explorer shown after {seen.seconds:.1f} s (job {job['duration_seconds']} s): {seen.explorer_url}")
    finally:
        for process in processes:
            _stop(process)
        organization_delete(organization=organization)
    expected = money_format(Decimal(period["expected_billed"]), "USD")
    job_seconds = float(job["duration_seconds"] or 0)
    return [
        {
            "bench": "time_to_first_insight",
            "value": round(seen.seconds, 1),
            "unit": "s",
            "baseline": round(job_seconds, 1),
            "ratio": round(seen.seconds / job_seconds, 3) if job_seconds else None,
            "rows": period["rows"],
            "file_mb": round(file_mb, 1),
            "explorer_total": seen.total,
            "file_total": expected,
            "total_matches": seen.total == expected,
        }
    ]
