"""What a test hands to the processes it starts: its own database and Redis, never the defaults.

A subprocess that falls back to the settings' default `DATABASE_URL` reaches a `finops`
database that only `make run` creates: it passes where that happened and fails on a fresh
machine. Every test that starts a process builds its environment here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import quote

# Settings the production-mode subprocesses must not inherit from the test run.
TEST_ONLY_VARIABLES = frozenset({"FINOPS_TESTING", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"})


def server_url(database: str) -> str:
    """A URL for `database` on the server the tests use (credentials included when it has them)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # a unix socket directory
        return f"postgresql://{auth}@{quote(host, safe='')}/{database}"
    return f"postgresql://{auth}@{host}:{db.get('PORT') or 5432}/{database}"


def own_database_url() -> str:
    """The URL of the database this test process is using (pytest-django's test database)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if not name.startswith("test_"):
        # pytest-django renames the database when a test first asks for it; before that this is
        # the real one, which a test must never hand out.
        raise RuntimeError(f"{name!r} is not a test database: use the db or transactional_db fixture")
    return server_url(name)


def subprocess_env(*, drop: Iterable[str] = (), **extra: str) -> dict[str, str]:
    """os.environ with this test's DATABASE_URL and REDIS_URL, minus `drop`, plus `extra`."""
    from django.conf import settings

    dropped = set(drop)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DATABASE_URL"] = own_database_url()
    env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


def production_env(**extra: str) -> dict[str, str]:
    """subprocess_env for a process that must run with production settings (no test switches)."""
    return subprocess_env(drop=TEST_ONLY_VARIABLES, **extra)
