"""Answers about an organization's bill, cached until the bill changes.

Every write that changes what the bill's selectors return (rollups rebuilt by an ingestion or
a claim, Cost Explorer estimates filled or retired, a cost source deleted) calls
`bill_changed()`, which gives the organization's schema a new version token at once and again
when the transaction commits: at once so the writing transaction stops reading old answers,
on commit so an answer another process computed from the data before the commit, stored
under the first new token, is not used afterwards.

`bill_answer()` reads the token and the stored answer in one Redis round trip, and uses the
answer only if it was computed under the current token; otherwise it computes it and stores it
for ANSWER_SECONDS. Keys name the schema (the "global" cache adds nothing to them).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.db import connection, transaction

ANSWER_SECONDS = 600
T = TypeVar("T")


def _version_key(schema: str) -> str:
    return f"bill-version:{schema}"


def _bump(schema: str) -> None:
    caches["global"].set(_version_key(schema), secrets.token_hex(8), timeout=None)


def bill_changed() -> None:
    """The current organization's bill changed (or will, when this transaction commits)."""
    schema = connection.schema_name  # type: ignore[attr-defined]
    _bump(schema)
    transaction.on_commit(lambda: _bump(schema))


def bill_answer(*, name: str, params: str, compute: Callable[[], T]) -> T:
    """`compute()`'s answer for the current organization, reused until its bill changes."""
    schema = connection.schema_name  # type: ignore[attr-defined]
    cache = caches["global"]
    version_key, answer_key = _version_key(schema), f"bill-answer:{schema}:{name}:{params}"
    found = cache.get_many([version_key, answer_key])
    version = found.get(version_key)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(version_key, version, timeout=None):
            version = cache.get(version_key)  # another process set it first
    stored = found.get(answer_key)
    if stored is not None and stored[0] == version:
        return stored[1]  # type: ignore[no-any-return]
    answer = compute()
    cache.set(answer_key, (version, answer), ANSWER_SECONDS)
    return answer
