"""`make bench` prints one JSON line per figure, with its baseline, and nothing else on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_a_benchmark_prints_json_figures_with_a_baseline_from_the_same_run() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
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


def test_an_unknown_benchmark_is_named_in_the_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "finops.bench", "nope"], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown benchmark(s): nope" in result.stderr and result.stdout == ""
