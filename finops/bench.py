"""`make bench [ONLY=<name>]`: benchmark figures as JSON lines on stdout, nothing else.

Each benchmark runs in a fresh database `<name>_bench` beside the one DATABASE_URL names
(`finops_bench` by default), dropped again at the end, and returns its figures with the
baseline it measured in the same run.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

BENCHMARKS: dict[str, str] = {
    "tenant_provisioning": "tenants.bench:run",
    "ingest": "costs.bench:run",
    "ingest_peak_rss_mb": "costs.bench_memory:run",
    "search_path_pinning": "finops.db_backend.bench:run",
    "anomaly": "costs.monitoring.bench:run",
    "anomaly_run_seconds": "costs.monitoring.bench_run:run",
    "explorer": "costs.explorer.bench:run",
    "time_to_first_insight": "costs.explorer.bench_first_insight:run",
    "ai_batching": "recommendations.bench:run",
    "api": "finops.api_bench:run",
}
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/finops"


def _admin_url_and_bench_url() -> tuple[str, str]:
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    bench = f"{parts.path.lstrip('/') or 'finops'}_bench"
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{bench}"))


def _database_recreate(admin_url: str, name: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def _load(target: str) -> Callable[[], list[dict[str, object]]]:
    module_name, function = target.split(":")
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    only = [name for name in argv if name]
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finops.settings")
    os.environ.setdefault("FINOPS_TESTING", "1")
    out = sys.stdout
    admin_url, bench_url = _admin_url_and_bench_url()
    bench_name = urlsplit(bench_url).path.lstrip("/")
    # Everything but the figures (Django, migrations, progress) goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        _database_recreate(admin_url, bench_name, create=True)
        os.environ["DATABASE_URL"] = bench_url
        try:
            _run(only, out)
        finally:
            from django.db import connections

            connections.close_all()
            _database_recreate(admin_url, bench_name, create=False)
    return 0


def _run(only: list[str], out: TextIO) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("prepare_db", verbosity=0)
    from finops.db import use_public_schema

    for name in only or list(BENCHMARKS):
        # A benchmark may leave the connection in some organization's schema.
        use_public_schema()
        for figure in _load(BENCHMARKS[name])():
            print(json.dumps(figure), file=out, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
