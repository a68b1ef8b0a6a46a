"""Benchmark `api`: the integration API under gunicorn on loopback, against the framework's ceiling.

One organization with a generated CUR 2.0 bill (FINOPS_BENCH_API_ROWS lines, default 20,000)
and a read key. gunicorn runs with deploy/gunicorn.conf.py (the production settings: workers,
threads, keep-alive) on 127.0.0.1; a load generator (threads, http.client, one connection per
request) sends a bounded number of requests for a bounded time, the endpoints taking turns in
short rounds, to:

- `GET /api/v1/costs/summary` (a month's totals) and `GET /api/v1/costs/breakdown` (a month by
  day and service), with the key;
- in the same run, on the same server, a bare Django JSON view behind the same middleware
  (`/api/bench/ceiling`, mounted only by this module's WSGI entry point): the framework ceiling;
  and the same view with one trivial query (`SELECT 1`), to show what a database round trip costs.

It prints requests per second and p95 latency for each, the summary's ratio to the ceiling
(target ≥ 0.5), and the database queries one API request costs, with how many of them find
the tenant (0 when the host is cached; 1 without the cache). The summary is answered from
`costs.answers` until the bill changes, so a warm call reads neither the key nor the totals from
the database; the first call after a change computes them, and the bench times that call too.
"""

from __future__ import annotations

import datetime
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings

SLUG = "benchapi"
HOST = f"{SLUG}.localhost"
CONCURRENCY = 4
SECONDS_PER_ENDPOINT = 12.0
ROUNDS = 6
MAX_REQUESTS_PER_ENDPOINT = 20_000
WARMUP_REQUESTS = 40
START = datetime.date(2025, 1, 1)
MONTH = ("2025-02-01", "2025-02-28")


# --- the gunicorn entry point: the project's whole stack, plus the ceiling view -----------------


def ceiling(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"ok": True, "organization": getattr(request.tenant, "slug", None)})


def ceiling_with_query(request: Any) -> Any:
    """The ceiling plus one trivial query in the organization's schema: what one database round trip costs."""
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"ok": True, "organization": getattr(request.tenant, "slug", None)})


def _urlconf() -> Any:
    from django.urls import path

    from finops import urls_tenants

    return [
        path("api/bench/ceiling", ceiling),
        path("api/bench/ceiling-query", ceiling_with_query),
        *urls_tenants.urlpatterns,
    ]


urlpatterns: list[Any] = []
_application: Any = None


def application(environ: dict[str, Any], start_response: Any) -> Any:
    """gunicorn: finops.wsgi's application with this module as the tenant URLconf."""
    global _application
    if _application is None:
        from django.core.wsgi import get_wsgi_application

        _application = get_wsgi_application()
        urlpatterns.extend(_urlconf())
        settings.ROOT_URLCONF = __name__
    return _application(environ, start_response)


# --- the run ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": HOST, **headers})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _burst(port: int, path: str, headers: dict[str, str], seconds: float) -> tuple[list[float], float]:
    """CONCURRENCY threads for `seconds` (at most MAX_REQUESTS_PER_ENDPOINT requests): latencies, wall time."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if len(latencies) + len(failures) >= MAX_REQUESTS_PER_ENDPOINT:
                    return
            started = time.perf_counter()
            status = _get(port, path, headers)
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(status)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, f"{path}: non-200 answers {sorted(set(failures))}"
    return latencies, time.perf_counter() - began


def _load_interleaved(port: int, endpoints: dict[str, tuple[str, dict[str, str]]]) -> dict[str, dict[str, float]]:
    """Every endpoint in turn, ROUNDS times, SECONDS_PER_ENDPOINT in all each.

    Interleaved rather than one after the other, so a slow spell of the machine (the load
    generator shares its two cores with the server) falls on every endpoint alike.
    """
    for path, headers in endpoints.values():
        for _ in range(WARMUP_REQUESTS):
            status = _get(port, path, headers)
            assert status == 200, f"{path}: {status}"
    latencies: dict[str, list[float]] = {name: [] for name in endpoints}
    walls = dict.fromkeys(endpoints, 0.0)
    for _ in range(ROUNDS):
        for name, (path, headers) in endpoints.items():
            got, wall = _burst(port, path, headers, SECONDS_PER_ENDPOINT / ROUNDS)
            latencies[name] += got
            walls[name] += wall
    return {
        name: {
            "rps": len(times) / walls[name],
            "p95_ms": statistics.quantiles(times, n=20)[18] * 1000,
            "requests": len(times),
        }
        for name, times in latencies.items()
    }


def _organization() -> tuple[Any, str]:
    """The organization with its bill, and a read key's secret."""
    from django.db import connection

    from costs.demo.generator import cur_generate
    from costs.ingest.delivery import delivery_ingest
    from costs.ingest.files import local_file
    from costs.models import CostSource
    from finops.db import use_public_schema
    from tenants.models import ApiKeyScope
    from tenants.services.api_keys import api_key_create
    from tenants.services.provisioning import organization_create, public_tenant_ensure
    from tenants.services.users import user_create

    public_tenant_ensure()
    owner = user_create(email=f"owner@{SLUG}.test", password="bench passphrase that is long", verified=True)
    organization = organization_create(name="Bench API", slug=SLUG, owner=owner)
    rows = int(os.environ.get("FINOPS_BENCH_API_ROWS") or 20_000)
    with tempfile.TemporaryDirectory() as folder:
        generated = cur_generate(out=Path(folder), months=2, rows=rows, start=START)
        connection.set_tenant(organization)  # type: ignore[attr-defined]
        source = CostSource.objects.uploads()
        for period in generated.periods:
            delivery_ingest(source=source, files=[local_file(period.files[0])])
    use_public_schema()
    secret = api_key_create(organization=organization, name="bench", scope=ApiKeyScope.READ, created_by=owner).secret
    return organization, secret


def _queries_per_request(path: str, secret: str, cache_seconds: int) -> tuple[int, int]:
    """(all queries, queries that find the tenant) of one warm request, in process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from finops.middleware import tenant_host_cache_clear

    settings.TENANT_CACHE_SECONDS = cache_seconds
    tenant_host_cache_clear()
    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {secret}")
    # Warm: the first call records the key's last use (and drops its cached row), the second
    # caches the row again; from then on a call reads neither the key nor the answer from the database.
    for _ in range(2):
        assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    tenant = sum('"tenants_domain"' in query["sql"] for query in captured.captured_queries)
    return len(captured.captured_queries), tenant


def _cold_summary_ms(path: str, secret: str, organization: Any, runs: int = 20) -> float:
    """Median in-process time of a summary whose cached answer was just invalidated (the bill changed)."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from costs.answers import bill_changed

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {secret}")
    times = []
    for _ in range(runs):
        with tenant_context(organization):
            bill_changed()
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        began = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "TENANT_CACHE_SECONDS": "60",
        # Production recycles a worker every ~2,000 requests (a leak guard). Here that would be a
        # dozen worker restarts (each re-imports Django: a second or more of CPU) landing on
        # whichever endpoint happens to be loaded at the time.
        "GUNICORN_MAX_REQUESTS": "0",
        # The load is the point here, not the throttle.
        "API_THROTTLE_KEY_RATE": "100000000/min",
        "API_THROTTLE_USER_RATE": "100000000/min",
    }
    command = [
        sys.executable, "-m", "gunicorn", f"{__name__}:application",
        "--config", str(Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"),
        "--access-logfile", "/dev/null",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if _get(port, "/api/bench/ceiling", {}) == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn did not come up: {log.read_text()[-3000:]}")


def run() -> list[dict[str, object]]:
    from django.db import connections

    organization, secret = _organization()
    summary = f"/api/v1/costs/summary?start={MONTH[0]}&end={MONTH[1]}"
    breakdown = f"/api/v1/costs/breakdown?start={MONTH[0]}&end={MONTH[1]}&granularity=day&group_by=service_name"
    queries_cached, tenant_cached = _queries_per_request(summary, secret, 60)
    queries_uncached, tenant_uncached = _queries_per_request(summary, secret, 0)
    cold_ms = _cold_summary_ms(summary, secret, organization)
    connections.close_all()

    auth = {"Authorization": f"Bearer {secret}"}
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "gunicorn.log"
        server = _gunicorn(port, log)
        try:
            measured = _load_interleaved(
                port,
                {
                    "ceiling": ("/api/bench/ceiling", {}),
                    "one_query": ("/api/bench/ceiling-query", {}),
                    "summary": (summary, auth),
                    "breakdown": (breakdown, auth),
                },
            )
            ceiling_figures, one_query_figures = measured["ceiling"], measured["one_query"]
            summary_figures, breakdown_figures = measured["summary"], measured["breakdown"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"api: ceiling {ceiling_figures}, ceiling + one query {one_query_figures}, summary {summary_figures}, breakdown {breakdown_figures}; "
        f"queries per summary request {queries_cached} (tenant {tenant_cached}) cached, "
        f"{queries_uncached} (tenant {tenant_uncached}) uncached; a summary after the bill changed "
        f"(answer computed, in process) {cold_ms:.1f} ms",
        file=sys.stderr,
    )

    def figure(name: str, value: float, unit: str, baseline: float) -> dict[str, object]:
        return {
            "bench": name,
            "value": round(value, 2),
            "unit": unit,
            "baseline": round(baseline, 2),
            "ratio": round(value / baseline, 4) if baseline else None,
        }

    return [
        figure("api_summary_rps", summary_figures["rps"], "req/s", ceiling_figures["rps"]),
        figure("api_summary_p95", summary_figures["p95_ms"], "ms", ceiling_figures["p95_ms"]),
        figure("api_breakdown_rps", breakdown_figures["rps"], "req/s", ceiling_figures["rps"]),
        figure("api_breakdown_p95", breakdown_figures["p95_ms"], "ms", ceiling_figures["p95_ms"]),
        # Where the time goes: the ceiling with one trivial query, against the bare ceiling.
        figure("api_ceiling_one_query_rps", one_query_figures["rps"], "req/s", ceiling_figures["rps"]),
        figure("api_tenant_resolution_queries", tenant_cached, "queries/request", tenant_uncached),
        figure("api_summary_queries", queries_cached, "queries/request", queries_uncached),
        # The summary is answered from the cache until the bill changes (costs.answers): the first
        # call after a change computes it; this is that call, in process, against a warm cached one.
        figure("api_summary_after_bill_change_ms", cold_ms, "ms", summary_figures["p95_ms"]),
    ]
