"""Cursors that pin every statement to the schemas of the connection's current tenant.

A plain `execute()` sends `<pin>; <statement>` as one simple-protocol message (parameters are
merged client-side, as Django does by default), then moves the cursor past the pin's result,
so callers see exactly the results they would have seen without it.

COPY, `executemany()` (a pipeline), `stream()` and the DECLARE of a server-side cursor are
sent with the extended protocol, one statement per message, so the pin cannot ride along.
For those the pin is executed as a separate statement in the same transaction; in autocommit
mode they are wrapped in BEGIN ... COMMIT so that the pin and the operation still share one
transaction, and therefore one server connection behind a pooler.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
from django.db.backends.postgresql import base as django_postgresql
from psycopg import pq

# django-stubs describe these psycopg-version-dependent classes poorly; they are psycopg cursors.
_DjangoCursor: Any = django_postgresql.Cursor
_DjangoServerSideCursor: Any = django_postgresql.ServerSideCursor

_IDLE = pq.TransactionStatus.IDLE
_INERROR = pq.TransactionStatus.INERROR
_SOURCE_ATTRIBUTE = "_finops_schema_source"

# Transaction control reads no table, and a pin in front of it would change its meaning.
_TRANSACTION_CONTROL = re.compile(
    r"\s*(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b",
    re.IGNORECASE,
)
# PostgreSQL refuses to run these inside a transaction block, so no transaction-local setting reaches them.
_NON_TRANSACTIONAL = re.compile(
    r"\s*(?:CREATE\s+DATABASE|DROP\s+DATABASE|CREATE\s+TABLESPACE|DROP\s+TABLESPACE|ALTER\s+SYSTEM|VACUUM"
    r"|(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX|REINDEX)\b[^;]*?\bCONCURRENTLY\b)",
    re.IGNORECASE,
)


class SchemaSource(Protocol):
    """What a cursor needs from the Django connection: its current pin, and whether it is pooled."""

    @property
    def pooled(self) -> bool: ...

    def search_path_pin(self, *, local: bool = True) -> str: ...


def attach(connection: psycopg.Connection[Any], source: SchemaSource) -> None:
    """Let every cursor of `connection` (however it was created) find the current schemas."""
    setattr(connection, _SOURCE_ATTRIBUTE, weakref.ref(source))


def _source(connection: psycopg.Connection[Any]) -> SchemaSource | None:
    ref = getattr(connection, _SOURCE_ATTRIBUTE, None)
    return ref() if ref is not None else None


def _head(query: Any) -> str:
    if isinstance(query, str):
        return query[:200]
    if isinstance(query, bytes):
        return query[:200].decode("latin-1")
    return ""  # psycopg.sql objects: built by Django's callproc, always an ordinary SELECT


def statement_pin(connection: psycopg.Connection[Any], query: Any) -> str | None:
    """The pin to send in front of `query`, or None when it must go alone."""
    source = _source(connection)
    # In a failed transaction every statement fails; a pin would only replace the error.
    if source is None or connection.pgconn.transaction_status == _INERROR:
        return None
    head = _head(query)
    if head and _TRANSACTION_CONTROL.match(head):
        return None
    if head and _NON_TRANSACTIONAL.match(head):
        if source.pooled:
            raise psycopg.NotSupportedError(
                f"{' '.join(head.split()[:3])} cannot run inside a transaction, so behind a transaction-pooling "
                "proxy its schema cannot be pinned; run it over a direct database connection (DATABASE_POOLED=0)"
            )
        # A direct connection is ours alone, so a session-level setting is safe for this one statement.
        _run_alone(connection, source.search_path_pin(local=False))
        return None
    return source.search_path_pin()


def _run_alone(connection: psycopg.Connection[Any], sql: str) -> None:
    # A stock psycopg cursor: it is not pinned, so this does not recurse.
    with psycopg.ClientCursor(connection) as cursor:
        cursor.execute(sql)  # type: ignore[arg-type]


@contextmanager
def pinned_transaction(connection: psycopg.Connection[Any]) -> Iterator[None]:
    """Run the body in a transaction whose search_path is pinned (opening one in autocommit mode)."""
    source = _source(connection)
    status = connection.pgconn.transaction_status
    if source is None or status == _INERROR:
        yield
        return
    pin = source.search_path_pin()
    if connection.autocommit and status == _IDLE:
        with connection.transaction():
            _run_alone(connection, pin)
            yield
    else:
        # Outside autocommit psycopg opens the transaction with the pin if none is open yet.
        _run_alone(connection, pin)
        yield


class PinnedCursor(_DjangoCursor):
    """Django's client-side-binding cursor, with every statement pinned to the current schemas."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        pin = statement_pin(self.connection, query)
        if pin is None:
            return super().execute(query, params, prepare=prepare, binary=binary)
        super().execute(pin + self.mogrify(query, params), binary=binary)
        # Step over the pin's own result so callers see only their statement's.
        self.nextset()
        return self

    def executemany(self, query: Any, params_seq: Iterable[Any], *, returning: bool = False) -> None:
        with pinned_transaction(self.connection):
            super().executemany(query, params_seq, returning=returning)

    def stream(self, query: Any, params: Any = None, *, binary: bool | None = None, size: int = 1) -> Iterator[Any]:
        with pinned_transaction(self.connection):
            yield from super().stream(query, params, binary=binary, size=size)

    @contextmanager
    def copy(self, statement: Any, params: Any = None, *, writer: Any = None) -> Iterator[Any]:
        with pinned_transaction(self.connection), super().copy(statement, params, writer=writer) as copy:
            yield copy


class PinnedServerSideCursor(_DjangoServerSideCursor):
    """Django's named cursor; the DECLARE runs in a transaction pinned to the current schemas.

    Only used on direct connections: behind a pooler settings disable server-side cursors,
    since a cursor lives on one server connection and later FETCHes may reach another.
    """

    def execute(self, query: Any, params: Any = None, *, binary: bool | None = None, **kwargs: Any) -> Any:
        with pinned_transaction(self.connection):
            return super().execute(query, params, binary=binary, **kwargs)
