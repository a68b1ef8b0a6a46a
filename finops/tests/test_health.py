from __future__ import annotations

from typing import Any

from django.test import Client


def test_healthz_reports_database_and_redis_on_any_host(db: Any) -> None:
    for host in ("localhost", "10.0.3.7", "unknown.example"):
        response = Client(HTTP_HOST=host).get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(db: Any, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "down"


def test_healthz_is_503_when_the_database_is_down(db: Any, monkeypatch: Any) -> None:
    from django.db import connections

    from finops import health

    # A real connection to a port where no PostgreSQL listens.
    unreachable = connections.create_connection("default")
    unreachable.settings_dict = {**unreachable.settings_dict, "HOST": "127.0.0.1", "PORT": 1}
    monkeypatch.setattr(health, "connection", unreachable)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_readyz_checks_migrations_too(db: Any) -> None:
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 200
    assert response.json()["migrations"] == "ok"
