"""Tenant isolation behind a transaction-pooling proxy: a real pgbouncer in `pool_mode = transaction`.

RDS Proxy multiplexes transactions the same way. Every test runs twice: with our backend
(`finops.db_backend`, must keep each organization in its own schema) and with django-tenants'
stock backend, which is expected to leak (strict xfail: if the stock backend ever stopped
leaking, these tests would say so, and they show the same assertions can fail).

The pgbouncer, the gunicorn and worker subprocesses and the probe they run are in pooled.py.
"""

from __future__ import annotations

import http.client
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from finops.tests.pooled import ENGINES, PINNED, PROBE_QUEUE, PROBE_TABLE, Bouncer, http_get, owners_in, pooled_probe

pytestmark = pytest.mark.pgbouncer

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
    assert http_get(port, acme.host, "/pooled-probe/x/", cookies[globex.host])[0] == 404
    status, location, _ = http_get(port, acme.host, "/pooled-probe/x/")
    assert (status, location.split("?")[0]) == (302, "/accounts/login/")

    def hammer(world: Any) -> list[tuple[int, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out = []
        try:
            for _ in range(REQUESTS_PER_THREAD):
                status, _, body = http_get(
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
        assert owners_in(world) == {schema: THREADS_PER_TENANT * REQUESTS_PER_THREAD}


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
        assert owners_in(world) == {schema: TASKS_PER_TENANT}
