"""finops.db_backend on a direct connection: every path pins the schema, nothing stays on the session.

The pooled behaviour (through a real pgbouncer) is in finops/tests/test_pooled_isolation.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import NotSupportedError

from finops.db_backend.base import DatabaseWrapper


@pytest.fixture
def schemas(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    """Two bare committed schemas with a probe table each (no organization needed)."""
    names = tuple(f"pin_{uuid.uuid4().hex[:8]}_{side}" for side in "ab")
    with django_db_blocker.unblock(), _direct() as direct:
        for name in names:
            direct.execute(f'CREATE SCHEMA "{name}"')
            direct.execute(f'CREATE TABLE "{name}".probe (id bigserial PRIMARY KEY, owner text NOT NULL)')
            direct.execute(f"INSERT INTO \"{name}\".probe (owner) VALUES ('{name}')")
    yield names  # type: ignore[misc]
    with django_db_blocker.unblock(), _direct() as direct:
        for name in names:
            direct.execute(f'DROP SCHEMA "{name}" CASCADE')


def _direct() -> psycopg.Connection[Any]:
    from django.db import connection

    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


@pytest.fixture
def wrapper(django_db_blocker: Any) -> Iterator[Callable[..., DatabaseWrapper]]:
    """wrapper(**settings) -> a connection of our backend of its own, with these settings overridden."""
    from django.db import connection

    made: list[DatabaseWrapper] = []

    def build(**overrides: Any) -> DatabaseWrapper:
        db = DatabaseWrapper({**connection.settings_dict, "CONN_MAX_AGE": 0, **overrides}, alias=f"pin_{len(made)}")
        made.append(db)
        return db

    with django_db_blocker.unblock():
        yield build
        for db in made:
            db.close()


def _owners(cursor: Any) -> list[str]:
    cursor.execute("SELECT owner FROM probe ORDER BY id")
    return [owner for (owner,) in cursor.fetchall()]


def test_each_statement_reaches_the_current_schema_and_no_search_path_stays_on_the_session(
    schemas: tuple[str, str], wrapper: Any
) -> None:
    a, b = schemas
    db = wrapper()
    with db.cursor() as cursor:
        db.set_schema(a)
        assert _owners(cursor) == [a]
        db.set_schema(b)
        # The same cursor follows the tenant switch: the schema travels with the statement.
        assert _owners(cursor) == [b]
    with psycopg.ClientCursor(db.connection) as raw:  # an unpinned cursor sees the session's own setting
        raw.execute("SHOW search_path")
        assert raw.fetchone() == ('"$user", public',)


def test_results_rowcount_and_errors_are_those_of_the_statement_not_of_the_pin(
    schemas: tuple[str, str], wrapper: Any
) -> None:
    a, _ = schemas
    db = wrapper()
    db.set_schema(a)
    with db.cursor() as cursor:
        cursor.execute("UPDATE probe SET owner = owner WHERE owner = %s", [a])
        assert cursor.rowcount == 1
        cursor.execute("SELECT id, owner FROM probe")
        assert [column.name for column in cursor.description] == ["id", "owner"]
        with pytest.raises(Exception, match='relation "missing" does not exist'):
            cursor.execute("SELECT * FROM missing")
        assert _owners(cursor) == [a]  # autocommit: the failure ended with its own implicit transaction


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "in-transaction"])
def test_a_server_side_cursor_reads_the_current_schema(
    schemas: tuple[str, str], wrapper: Any, autocommit: bool
) -> None:
    a, b = schemas
    db = wrapper(DISABLE_SERVER_SIDE_CURSORS=False)
    db.set_schema(b)
    db.set_autocommit(autocommit)
    with db.chunked_cursor() as cursor:  # what QuerySet.iterator() uses
        cursor.execute("SELECT owner FROM probe")
        assert cursor.fetchmany(10) == [(b,)]
    if not autocommit:
        db.rollback()
        db.set_autocommit(True)


def test_a_concurrent_index_is_built_in_the_tenant_schema_on_a_direct_connection(
    schemas: tuple[str, str], wrapper: Any
) -> None:
    a, b = schemas
    db = wrapper()
    db.set_schema(b)
    with db.cursor() as cursor:
        cursor.execute("CREATE INDEX CONCURRENTLY probe_owner ON probe (owner)")
        cursor.execute(
            "SELECT schemaname FROM pg_indexes WHERE indexname = 'probe_owner' AND schemaname IN (%s, %s)", [a, b]
        )
        assert cursor.fetchall() == [(b,)]


def test_behind_a_pooler_a_statement_that_cannot_be_pinned_is_refused(schemas: tuple[str, str], wrapper: Any) -> None:
    a, _ = schemas
    db = wrapper(TRANSACTION_POOLED=True, DISABLE_SERVER_SIDE_CURSORS=True)
    db.set_schema(a)
    with db.cursor() as cursor, pytest.raises(NotSupportedError, match="CREATE INDEX CONCURRENTLY cannot run inside"):
        cursor.execute("CREATE INDEX CONCURRENTLY probe_owner ON probe (owner)")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"OPTIONS": {"server_side_binding": True}}, "server-side parameter binding"),
        ({"TRANSACTION_POOLED": True, "DISABLE_SERVER_SIDE_CURSORS": True, "OPTIONS": {"prepare_threshold": 5}},
         "prepare_threshold"),
        ({"TRANSACTION_POOLED": True, "DISABLE_SERVER_SIDE_CURSORS": False}, "DISABLE_SERVER_SIDE_CURSORS"),
    ],
    ids=["server-side-binding", "prepared-statements", "server-side-cursors"],
)  # fmt: skip
def test_settings_that_would_rely_on_one_server_connection_are_refused(
    wrapper: Any, overrides: dict[str, Any], message: str
) -> None:
    db = wrapper(**overrides)
    with pytest.raises(ImproperlyConfigured, match=message):
        db.ensure_connection()
