"""Shared test fixtures: a prepared test database and two organizations with three users each side.

The test database is real PostgreSQL (DATABASE_URL, default 127.0.0.1:5432). Every view test
uses `org_a`/`org_b`: the owner of one is the stranger of the other.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pytest

from finops.db import use_public_schema


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Any:
    from tenants.services.provisioning import public_tenant_ensure, template_schema_rebuild

    with django_db_blocker.unblock():
        public_tenant_ensure()
        template_schema_rebuild()
    yield
    with django_db_blocker.unblock():
        _no_other_session_left()


def _no_other_session_left() -> None:
    """At the end, nothing but this process's own connection may still be on the test database.

    A connection left open (a thread's, a subprocess's) makes the test database impossible to
    drop, and is usually a leak the product would have too.
    """
    import time

    from django.db import connection

    query = (
        "SELECT pid, application_name, backend_type, state, left(query, 200) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 15
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query)
            others = cursor.fetchall()
        if not others or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not others, f"sessions left open on {connection.settings_dict['NAME']}: {others}"


@pytest.fixture(autouse=True)
def _email_in_memory(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_account_guards() -> Any:
    """Each test starts with no login failures, sign-ups or token failures counted, and no global cache entries.

    The account-guard counters are global on purpose (finops/account_guards.py), so without this
    every sign-up or failed login in one test would count against the next. The "global" cache
    holds answers per schema name, and the next test's organization may reuse the name.
    """
    yield
    import redis
    from django.conf import settings

    # This process's Redis as finops.pytest_env set it (a test may point settings elsewhere).
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for alias in ("account_guards_global", "global"):
            prefix = settings.CACHES[alias]["KEY_PREFIX"]
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Any:
    yield
    from django.db import connection

    if connection.connection is not None:
        use_public_schema()


@dataclass
class OrgWorld:
    organization: Any
    owner: Any
    admin: Any
    viewer: Any

    @property
    def host(self) -> str:
        return f"{self.organization.slug}.localhost"


PASSWORD = "correct horse battery staple"


def make_user(email: str) -> Any:
    from tenants.services.users import user_create

    return user_create(email=email, password=PASSWORD, verified=True)


def make_org(slug: str) -> OrgWorld:
    from tenants.models import Membership, Role
    from tenants.services.provisioning import organization_create, public_tenant_ensure

    # Transactional tests flush the public tables, the public tenant row included.
    public_tenant_ensure()

    owner = make_user(f"owner@{slug}.test")
    organization = organization_create(name=slug.title(), slug=slug, owner=owner)
    admin = make_user(f"admin@{slug}.test")
    viewer = make_user(f"viewer@{slug}.test")
    Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
    Membership.objects.create(user=viewer, organization=organization, role=Role.VIEWER)
    return OrgWorld(organization, owner, admin, viewer)


@pytest.fixture
def org_a(db: Any) -> OrgWorld:
    return make_org("acme")


@pytest.fixture
def org_b(db: Any) -> OrgWorld:
    return make_org("globex")


@pytest.fixture(scope="module")
def shared_worlds(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Two committed organizations shared by a module's read-only tests (saves a clone per test).

    Only for tests that change nothing; tests that write use `org_a`/`org_b`.
    """
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock():
        worlds = (make_org("umbrella"), make_org("initrode"))
    yield worlds
    with django_db_blocker.unblock():
        use_public_schema()
        for world in worlds:
            world.organization.delete(force_drop=True)
            get_user_model().objects.filter(pk__in=[world.owner.pk, world.admin.pk, world.viewer.pk]).delete()


@pytest.fixture
def committed_org(transactional_db: Any) -> Any:
    """committed_org(slug) -> an organization whose rows are committed (for worker/browser tests).

    Schemas are not removed by the flush that ends a transactional test, so they are dropped here.
    """
    from django.db import connection

    made: list[OrgWorld] = []

    def build(slug: str) -> OrgWorld:
        world = make_org(slug)
        made.append(world)
        return world

    yield build
    use_public_schema()
    for world in made:
        _schema_drop(connection, world.organization.schema_name)


def _schema_drop(connection: Any, schema: str, *, attempts: int = 5) -> None:
    """DROP SCHEMA, again after a deadlock: the session's Celery worker may still be running work an
    ingestion queued on commit in that schema (a monitoring or recommendations run), whose row locks
    the DROP's exclusive locks can deadlock with; the worker's transaction wins and the DROP goes next."""
    from django.db.utils import OperationalError

    for attempt in range(attempts):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            return
        except OperationalError as error:
            if "deadlock detected" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def public_client(db: Any) -> Any:
    from django.test import Client

    from tenants.services.provisioning import public_tenant_ensure

    public_tenant_ensure()
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def client_for() -> Any:
    """client_for(user, world) -> a test client signed in as `user`, talking to `world`'s host."""
    from django.test import Client

    def build(user: Any, world: OrgWorld) -> Client:
        client = Client(HTTP_HOST=world.host)
        if user is not None:
            client.force_login(user)
        return client

    return build


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A real Celery worker process (all queues) on the test database and this session's Redis db.

    Tests that use it must use `transactional_db` so the worker sees their committed rows.
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings

    from finops.celery import app
    from finops.testing_env import subprocess_env

    env = subprocess_env(FINOPS_TESTING="1")
    with django_db_blocker.unblock():
        app.control.purge()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-worker-{os.getpid()}.log"
    command = [sys.executable, "-m", "celery", "-A", "finops", "worker", "-Q", "default,ingest,ai",
               "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
               "--without-mingle", "-n", f"test-{os.getpid()}@%h"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited: {log.read_text()[-3000:]}")
        if app.control.ping(timeout=0.5):
            break
    else:
        process.kill()
        raise RuntimeError(f"celery worker did not answer: {log.read_text()[-3000:]}")
    process.log_path = log  # type: ignore[attr-defined]
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
