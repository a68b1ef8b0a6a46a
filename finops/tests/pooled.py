"""Support for the pooled isolation tests: a real pgbouncer, and the app behind it in subprocesses.

This module is also the live server's WSGI entry point and the worker's task module
(`probe_application`, `pooled_probe`), so the subprocesses run the probe code below; the
tests are in test_pooled_isolation.py.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from finops.celery import app, tenant_task

PGBOUNCER = shutil.which("pgbouncer") or next(
    (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None
)
PINNED = "finops.db_backend"
STOCK = "django_tenants.postgresql_backend"
ENGINES = [
    pytest.param(PINNED, id="pinned"),
    pytest.param(
        STOCK,
        id="stock",
        marks=pytest.mark.xfail(
            strict=True,
            raises=AssertionError,
            reason="demonstration: django-tenants' session-level SET search_path leaks behind a transaction pooler",
        ),
    ),
]
APPLICATION_NAME = "finops-pooled-test"
PROBE_QUEUE = "pooled-probe"
PROBE_TABLE = "pooled_probe"


# --- code run by the subprocesses ---------------------------------------------------------------


def probe_view(request: HttpRequest, tag: str) -> JsonResponse:
    """Writes a source named after this request's schema, then reports whose sources it can read.

    A GET that writes: it is a test probe, not a page.
    """
    from tenants.access import request_membership

    request_membership(request)
    return JsonResponse(_probe(request.tenant.schema_name, tag))  # type: ignore[attr-defined]


@tenant_task(name="finops.tests.pooled_probe")
def pooled_probe(tag: str) -> dict[str, Any]:
    """The probe as a tenant task."""
    from finops.db import current_schema

    return _probe(current_schema(), tag)


def _probe(schema: str, tag: str) -> dict[str, Any]:
    from costs.models import CostSource, SourceKind

    CostSource.objects.create(name=f"{schema}:{tag}", kind=SourceKind.UPLOAD)
    owners = {name.split(":")[0] for name in CostSource.objects.values_list("name", flat=True)}
    return {"schema": schema, "seen": sorted(owners)}


urlpatterns: list[Any] = []


@cache
def _wsgi() -> Any:
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    # The project's URLs import models, so they can only be included once Django is set up.
    urlpatterns[:] = [path("pooled-probe/<str:tag>/", probe_view), path("", include("finops.urls_tenants"))]
    settings.ROOT_URLCONF = __name__
    return application


def probe_application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """gunicorn entry point: the project's whole middleware stack, plus the probe URL."""
    return _wsgi()(environ, start_response)


# --- fixtures -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except (OSError, psycopg.Error):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Bouncer:
    port: int
    user: str

    def url(self, database: str) -> str:
        """`one_server` has a pool of one server connection, `two_servers` of two."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}?application_name={APPLICATION_NAME}"

    def show(self, what: str) -> list[dict[str, Any]]:
        with psycopg.connect(self.url("pgbouncer"), autocommit=True) as admin:
            cursor = admin.cursor()
            cursor.execute(f"SHOW {what}")
            names = [c.name for c in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def pgbouncer(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Bouncer]:
    """pgbouncer in transaction pooling mode in front of the test database."""
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (Debian package `pgbouncer`; `make system-deps` installs it)")
    from django.db import connection

    db = connection.settings_dict
    server = f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} dbname={db['NAME']}"
    if db.get("USER"):
        server += f" user={db['USER']}"
    if db.get("PASSWORD"):
        server += f" password={db['PASSWORD']}"
    user = db.get("USER") or "postgres"
    workdir = Path(tempfile.mkdtemp(prefix="finops-pgbouncer-"))
    port = _free_port()
    (workdir / "userlist.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
one_server = {server} pool_size=1
two_servers = {server} pool_size=2
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/userlist.txt
admin_users = {user}
pool_mode = transaction
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""
    )
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # pgbouncer refuses to run as root.
        shutil.chown(workdir, "postgres")
        for item in workdir.iterdir():
            shutil.chown(item, "postgres")
        command[1:1] = ["-u", "postgres"]
    log = workdir / "pgbouncer.log"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    bouncer = Bouncer(port=port, user=user)
    _wait_for("pgbouncer", lambda: bool(bouncer.show("VERSION")), process, log)
    yield bouncer
    _stop(process, signal.SIGINT)
    # Its server connections end a moment later; the test database cannot be dropped before.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
                [APPLICATION_NAME],
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)
    shutil.rmtree(workdir, ignore_errors=True)


def _subprocess_env(bouncer: Bouncer, engine: str) -> dict[str, str]:
    from finops.testing_env import subprocess_env

    return subprocess_env(
        drop={"DATABASE_HOST"},
        DATABASE_URL=bouncer.url("two_servers"),
        DATABASE_ENGINE=engine,
        DATABASE_POOLED="1",
        FINOPS_TESTING="1",
        DJANGO_SETTINGS_MODULE="finops.settings",
    )


@pytest.fixture
def live_server_behind(pgbouncer: Bouncer, tmp_path: Path) -> Iterator[Callable[[str], int]]:
    """live_server_behind(engine) -> port of gunicorn (2 workers x 4 threads) talking to pgbouncer."""
    from django.conf import settings

    started: list[subprocess.Popen[bytes]] = []

    def start(engine: str) -> int:
        port = _free_port()
        log = tmp_path / "gunicorn.log"
        command = [sys.executable, "-m", "gunicorn", f"{__name__}:probe_application", "--bind", f"127.0.0.1:{port}",
                   "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=_subprocess_env(pgbouncer, engine), cwd=settings.BASE_DIR, stdout=out, stderr=out
            )
        started.append(process)
        _wait_for("gunicorn", lambda: http_get(port, "localhost", "/healthz")[0] == 200, process, log)
        return port

    yield start
    for process in started:
        _stop(process)


@pytest.fixture
def worker_behind(pgbouncer: Bouncer, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """worker_behind(engine): a Celery worker (4 processes) on the probe queue, talking to pgbouncer."""
    from django.conf import settings

    started: list[subprocess.Popen[bytes]] = []

    def start(engine: str) -> None:
        node = f"pooled-{os.getpid()}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        log = tmp_path / "worker.log"
        command = [sys.executable, "-m", "celery", "-A", "finops", "worker", "-Q", PROBE_QUEUE, "--include", __name__,
                   "--pool", "prefork", "--concurrency", "4", "--without-gossip", "--without-mingle", "-n", node]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=_subprocess_env(pgbouncer, engine), cwd=settings.BASE_DIR, stdout=out, stderr=out
            )
        started.append(process)
        _wait_for("celery worker", lambda: bool(app.control.ping([node], timeout=0.5)), process, log)

    yield start
    for process in started:
        _stop(process)


def http_get(port: int, host: str, url: str, cookie: str = "", conn: http.client.HTTPConnection | None = None) -> Any:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url, headers={"Host": host, "Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        if own:
            conn.close()


def owners_in(world: Any) -> dict[str, int]:
    """Whose rows the organization's schema holds, read over a direct connection."""
    from django_tenants.utils import tenant_context

    from costs.models import CostSource

    counts: dict[str, int] = {}
    with tenant_context(world.organization):
        for name in CostSource.objects.values_list("name", flat=True):
            owner = name.split(":")[0]
            counts[owner] = counts.get(owner, 0) + 1
    return counts
