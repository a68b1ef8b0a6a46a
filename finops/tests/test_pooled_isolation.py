"""Tenant isolation behind a transaction-pooling proxy: a real pgbouncer in `pool_mode = transaction`.

RDS Proxy multiplexes transactions the same way. Every test runs twice: with our backend
(`finops.db_backend`, must keep each organization in its own schema) and with django-tenants'
stock backend, which is expected to leak (strict xfail: if the stock backend ever stopped
leaking, these tests would say so, and they show the same assertions can fail).

This module is also the live server's WSGI entry point and the worker's task module
(`probe_application`, `pooled_probe`), so the subprocesses run the probe code below.
"""

from __future__ import annotations

import http.client
import json
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from finops.celery import app, tenant_task

pytestmark = pytest.mark.pgbouncer

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
        _wait_for("gunicorn", lambda: _get(port, "localhost", "/healthz")[0] == 200, process, log)
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


def _get(port: int, host: str, url: str, cookie: str = "", conn: http.client.HTTPConnection | None = None) -> Any:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url, headers={"Host": host, "Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        if own:
            conn.close()


def _owners_in(world: Any) -> dict[str, int]:
    """Whose rows the organization's schema holds, read over a direct connection."""
    from django_tenants.utils import tenant_context

    from costs.models import CostSource

    counts: dict[str, int] = {}
    with tenant_context(world.organization):
        for name in CostSource.objects.values_list("name", flat=True):
            owner = name.split(":")[0]
            counts[owner] = counts.get(owner, 0) + 1
    return counts


# --- tests --------------------------------------------------------------------------------------


def _direct_params() -> dict[str, Any]:
    from django.db import connection

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "host": db.get("HOST") or "127.0.0.1", "port": db.get("PORT") or 5432}
    params["user"] = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return params


def _probe_tables(worlds: list[Any]) -> None:
    """A tiny table per organization schema, independent of the models."""
    with psycopg.connect(**_direct_params(), autocommit=True) as direct:
        for world in worlds:
            schema = world.organization.schema_name
            direct.execute(f'CREATE TABLE "{schema}".{PROBE_TABLE} (id bigserial PRIMARY KEY, owner text NOT NULL)')


def _stored(worlds: list[Any]) -> dict[str, list[tuple[str, int]]]:
    """Whose rows each schema's probe table holds, read over a direct connection."""
    with psycopg.connect(**_direct_params()) as direct:
        return {
            w.organization.schema_name: direct.execute(
                f'SELECT owner, count(*) FROM "{w.organization.schema_name}".{PROBE_TABLE} GROUP BY owner ORDER BY 1'
            ).fetchall()
            for w in worlds
        }


def _pooled_connections(engine: str, bouncer: Bouncer, database: str, n: int) -> list[Any]:
    """n Django connections (their own, not the test's) through pgbouncer."""
    import dj_database_url
    from django.conf import settings
    from django.utils.module_loading import import_string

    wrapper_class = import_string(f"{engine}.base.DatabaseWrapper")
    settings_dict = {
        **settings.DATABASES["default"],
        **dj_database_url.parse(bouncer.url(database)),
        "ENGINE": engine,
        "CONN_MAX_AGE": 0,
        "TRANSACTION_POOLED": True,
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    return [wrapper_class(dict(settings_dict), alias=f"pooled_{i}") for i in range(n)]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_tenants_sharing_one_server_connection_each_read_and_write_only_their_own_schema(
    engine: str, pgbouncer: Bouncer, committed_org: Any
) -> None:
    """The race made deterministic: each selects its tenant, then both run statements, alternately."""
    worlds = [committed_org("acme"), committed_org("globex")]
    _probe_tables(worlds)
    dbs = _pooled_connections(engine, pgbouncer, "one_server", 2)
    seen: dict[str, set[str]] = {w.organization.schema_name: set() for w in worlds}
    try:
        for db, world in zip(dbs, worlds, strict=True):
            db.set_tenant(world.organization)
        for _ in range(3):
            # A request of each tenant has selected its schema (opened its cursor) before either runs a query.
            cursors = [db.cursor() for db in dbs]
            for cursor, world in zip(cursors, worlds, strict=True):
                schema = world.organization.schema_name
                cursor.execute(f"INSERT INTO {PROBE_TABLE} (owner) VALUES (%s)", [schema])
                cursor.execute(f"SELECT DISTINCT owner FROM {PROBE_TABLE}")
                seen[schema] |= {owner for (owner,) in cursor.fetchall()}
            for cursor in cursors:
                cursor.close()
    finally:
        for db in dbs:
            db.close()

    stored = _stored(worlds)
    assert seen == {schema: {schema} for schema in seen}, f"reads crossed tenants: {seen}"
    assert stored == {schema: [(schema, 3)] for schema in stored}, f"writes crossed tenants: {stored}"


def test_copy_executemany_stream_and_tenant_switches_in_a_transaction_stay_pinned_through_the_pooler(
    pgbouncer: Bouncer, committed_org: Any
) -> None:
    acme, globex = committed_org("acme"), committed_org("globex")
    _probe_tables([acme, globex])
    insert = f"INSERT INTO {PROBE_TABLE} (owner) VALUES (%s)"
    copy_sql = f"COPY {PROBE_TABLE} (owner) FROM STDIN"
    a, b = _pooled_connections(PINNED, pgbouncer, "one_server", 2)
    try:
        a.set_tenant(acme.organization)
        b.set_tenant(globex.organization)
        # Autocommit: every operation of one client shares the single server connection with the other's.
        with a.cursor() as ca, b.cursor() as cb:
            with ca.copy(copy_sql) as copy:
                copy.write_row(["org_acme"])
            cb.execute(insert, ["org_globex"])
            ca.executemany(insert, [["org_acme"], ["org_acme"]])
            cb.executemany(insert, [["org_globex"], ["org_globex"]])
            with cb.copy(copy_sql) as copy:
                copy.write_row(["org_globex"])
            streamed = {owner for (owner,) in ca.stream(f"SELECT owner FROM {PROBE_TABLE}")}

        # One transaction that switches tenant, rolls a savepoint back (which reverts a transaction-local
        # setting made after it) and then COPYs: each statement must still reach the current tenant.
        a.set_autocommit(False)
        a.cursor().execute(insert, ["org_acme"])
        savepoint = a.savepoint()
        a.set_tenant(globex.organization)
        a.cursor().execute(insert, ["rolled back"])
        a.savepoint_rollback(savepoint)
        a.cursor().execute(insert, ["org_globex"])
        a.set_tenant(acme.organization)
        with a.cursor().copy(copy_sql) as copy:
            copy.write_row(["org_acme"])
        a.commit()
        a.set_autocommit(True)
    finally:
        a.close()
        b.close()

    assert streamed == {"org_acme"}
    assert _stored([acme, globex]) == {"org_acme": [("org_acme", 5)], "org_globex": [("org_globex", 5)]}


REQUESTS_PER_THREAD = 30
THREADS_PER_TENANT = 4


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_requests_of_two_tenants_through_the_pooler_never_cross_schemas(
    engine: str, pgbouncer: Bouncer, committed_org: Any, client_for: Any, live_server_behind: Any
) -> None:
    from django.conf import settings

    acme, globex = committed_org("acme"), committed_org("globex")
    port = live_server_behind(engine)
    cookies = {}
    for world in (acme, globex):
        client = client_for(world.owner, world)
        cookies[world.host] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    # The probe is a tenant view like any other: strangers get 404, anonymous visitors the sign-in page.
    assert _get(port, acme.host, "/pooled-probe/x/", cookies[globex.host])[0] == 404
    status, location, _ = _get(port, acme.host, "/pooled-probe/x/")
    assert (status, location.split("?")[0]) == (302, "/accounts/login/")

    def hammer(world: Any) -> list[tuple[int, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out = []
        try:
            for _ in range(REQUESTS_PER_THREAD):
                status, _, body = _get(
                    port, world.host, f"/pooled-probe/{uuid.uuid4().hex}/", cookies[world.host], conn
                )
                out.append((status, json.loads(body) if status == 200 else body[:300]))
        finally:
            conn.close()
        return out

    jobs = [acme, globex] * THREADS_PER_TENANT
    with ThreadPoolExecutor(len(jobs)) as pool:
        results = dict(enumerate(pool.map(hammer, jobs)))

    # The web threads' connections (kept open by CONN_MAX_AGE) really did share two server connections.
    clients = [row for row in pgbouncer.show("CLIENTS") if row["database"] == "two_servers"]
    servers = [row for row in pgbouncer.show("SERVERS") if row["database"] == "two_servers"]
    assert len(clients) > len(servers) == 2

    wrong = [
        (jobs[i].organization.schema_name, status, answer)
        for i, answers in results.items()
        for status, answer in answers
        if status != 200 or answer != {"schema": jobs[i].organization.schema_name, "seen": [answer["schema"]]}
    ]
    assert not wrong, f"{len(wrong)} of {len(jobs) * REQUESTS_PER_THREAD} requests crossed tenants: {wrong[:5]}"
    for world in (acme, globex):
        schema = world.organization.schema_name
        assert _owners_in(world) == {schema: THREADS_PER_TENANT * REQUESTS_PER_THREAD}


TASKS_PER_TENANT = 40


@pytest.mark.worker
@pytest.mark.parametrize("engine", ENGINES)
def test_interleaved_tenant_tasks_through_the_pooler_never_cross_schemas(
    engine: str, pgbouncer: Bouncer, committed_org: Any, worker_behind: Any
) -> None:
    from django_tenants.utils import tenant_context

    acme, globex = committed_org("acme"), committed_org("globex")
    worker_behind(engine)

    sent = []
    for i in range(TASKS_PER_TENANT):
        for world in (acme, globex):
            with tenant_context(world.organization):
                sent.append((world, pooled_probe.apply_async(args=[f"task-{i}"], queue=PROBE_QUEUE)))
    answers = [(world.organization.schema_name, result.get(timeout=60, propagate=False)) for world, result in sent]

    wrong = [(schema, answer) for schema, answer in answers if answer != {"schema": schema, "seen": [schema]}]
    assert not wrong, f"{len(wrong)} of {len(answers)} tasks crossed tenants: {wrong[:5]}"
    for world in (acme, globex):
        schema = world.organization.schema_name
        assert _owners_in(world) == {schema: TASKS_PER_TENANT}
