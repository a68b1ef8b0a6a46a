"""Cost of pinning each statement's schema: finops.db_backend against django-tenants' stock backend.

For `finops.bench` (register "search_path_pinning": "finops.db_backend.bench:run"). One small
indexed SELECT per Django cursor, as the ORM issues them, on a direct connection, in autocommit
mode and inside a transaction. The stock backend sends `SET search_path` and the query as two
messages (two round trips); ours sends one message holding `SET LOCAL search_path` and the query.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

QUERIES = 3000
ROUNDS = 5
SCHEMA = "bench_pinning"
VARIANTS = (
    ("stock", "django_tenants.postgresql_backend"),
    ("pinned", "finops.db_backend"),
)


def _per_query_us(engine: str, *, atomic: bool) -> float:
    from django.db import connection
    from django.utils.module_loading import import_string

    wrapper = import_string(f"{engine}.base.DatabaseWrapper")
    db = wrapper({**connection.settings_dict, "CONN_MAX_AGE": 0}, alias=f"bench_{engine}")
    db.set_schema(SCHEMA)
    try:

        def query() -> None:
            with db.cursor() as cursor:
                cursor.execute("SELECT owner FROM probe WHERE id = %s", [1])
                cursor.fetchone()

        for _ in range(200):
            query()
        if atomic:
            db.set_autocommit(False)
        rounds = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(QUERIES):
                query()
            rounds.append((time.perf_counter() - started) / QUERIES * 1e6)
        if atomic:
            db.rollback()
            db.set_autocommit(True)
        return statistics.median(rounds)
    finally:
        db.close()


def run() -> list[dict[str, Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        cursor.execute(f"CREATE TABLE {SCHEMA}.probe (id bigint PRIMARY KEY, owner text NOT NULL)")
        cursor.execute(f"INSERT INTO {SCHEMA}.probe VALUES (1, 'bench')")
    try:
        figures = []
        for atomic in (False, True):
            timings = {name: _per_query_us(engine, atomic=atomic) for name, engine in VARIANTS}
            mode = "transaction" if atomic else "autocommit"
            # The baseline is django-tenants' stock backend, measured in the same run.
            figures.append(
                {
                    "bench": f"search_path_pinning_{mode}",
                    "value": round(timings["pinned"], 1),
                    "unit": "us/query",
                    "baseline": round(timings["stock"], 1),
                    "ratio": round(timings["pinned"] / timings["stock"], 3),
                    "queries": QUERIES * ROUNDS,
                    "round_trips_per_query": {"stock": 2, "pinned": 1},
                }
            )
        return figures
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
