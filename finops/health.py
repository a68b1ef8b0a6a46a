"""Liveness and readiness probes, answered on any host (see TenantHostMiddleware)."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from finops.db import use_public_schema


def _database_ok() -> bool:
    try:
        use_public_schema()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" for a probe
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        return False


def _migrations_applied() -> bool:
    from django.db.migrations.executor import MigrationExecutor

    try:
        use_public_schema()
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # noqa: BLE001
        return False


def _answer(status: dict[str, bool], *, ok_word: str, failed_word: str) -> HttpResponse:
    ok = all(status.values())
    body = {"status": ok_word if ok else failed_word, **{k: "ok" if v else "down" for k, v in status.items()}}
    return JsonResponse(body, status=200 if ok else 503)


def healthz(request: HttpRequest) -> HttpResponse:
    return _answer({"database": _database_ok(), "redis": _redis_ok()}, ok_word="ok", failed_word="unavailable")


def readyz(request: HttpRequest) -> HttpResponse:
    status = {"database": _database_ok(), "redis": _redis_ok()}
    status["migrations"] = status["database"] and _migrations_applied()
    return _answer(status, ok_word="ready", failed_word="not ready")


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}
