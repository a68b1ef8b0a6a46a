"""`make bench` prints one JSON line per figure, with its baseline, and nothing else on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from finops.testing_env import server_url, subprocess_env


def test_a_benchmark_prints_json_figures_with_a_baseline_from_the_same_run(db: Any) -> None:
    # The runner makes `<this test's database>_bench` beside it and drops it again.
    env = subprocess_env()
    result = subprocess.run(
        [sys.executable, "-m", "finops.bench", "tenant_provisioning"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = result.stdout.splitlines()
    figure = json.loads(line)
    assert figure["bench"] == "tenant_provisioning" and figure["unit"] == "s"
    assert figure["value"] > 0 and figure["baseline"] > 0
    assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline"], abs=1e-3)
    assert not _database_exists(f"{connection.settings_dict['NAME']}_bench")


def _database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_an_unknown_benchmark_is_named_in_the_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "finops.bench", "nope"], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown benchmark(s): nope" in result.stderr and result.stdout == ""
