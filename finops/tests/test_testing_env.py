"""Processes a test starts get the test's own database and Redis, never the defaults `make run` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from finops.testing_env import own_database_url, production_env, subprocess_env


def test_a_subprocess_gets_this_tests_database_and_redis(db: Any) -> None:
    env = subprocess_env()
    database = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    assert database == connection.settings_dict["NAME"] and database.startswith("test_")
    assert env["REDIS_URL"] == settings.REDIS_URL != "redis://127.0.0.1:6379/0"


def test_production_mode_drops_the_test_switches_but_keeps_the_database(db: Any) -> None:
    os.environ["FINOPS_TESTING"] = "1"
    env = production_env(SECRET_KEY="x" * 50)
    assert "FINOPS_TESTING" not in env and env["SECRET_KEY"] == "x" * 50
    assert env["DATABASE_URL"] == own_database_url()


def test_the_real_database_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "NAME", "finops")
    with pytest.raises(RuntimeError, match="'finops' is not a test database"):
        own_database_url()


@pytest.mark.parametrize(("worker", "base", "expected"), [("gw0", "", "/1"), ("gw1", "", "/2"), ("gw1", "/10", "/12")])
def test_each_test_process_takes_its_own_redis_database_next_to_the_given_one(
    worker: str, base: str, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"FINOPS_TEST_REDIS_BASE", "REDIS_URL"}}
    env["PYTEST_XDIST_WORKER"] = worker
    if base:
        env["REDIS_URL"] = f"redis://127.0.0.1:6379{base}"
    script = "import os, finops.pytest_env; print(os.environ['REDIS_URL'])"
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"redis://127.0.0.1:6379{expected}"
