"""A killed worker leaves no partial period; two ingests of one period never run at once."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from costs.demo.generator import cur_generate
from costs.ingest.delivery import _lock_key, delivery_ingest
from costs.models import CostLineItem, CostSource, IngestionJob, JobStatus
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, db_totals, enter
from finops.testing_env import subprocess_env

START = datetime.date(2025, 1, 1)


def raw_connection() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s.get("USER") or None, password=s.get("PASSWORD") or None,
        host=s.get("HOST") or None, port=s.get("PORT") or None, autocommit=True,
    )  # fmt: skip


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.mark.worker
def test_sigkill_in_the_middle_of_a_load_leaves_the_previous_period(committed_org, tmp_path):
    world = committed_org("killco")
    small = cur_generate(out=tmp_path / "small", months=1, seed=4, start=START)
    big = cur_generate(out=tmp_path / "big", rows=400_000, seed=4, start=START)
    enter(world)
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(small.periods[0].files[0])])
    before, lines_before = db_totals(), CostLineItem.objects.count()
    schema = world.organization.schema_name

    env = subprocess_env(FINOPS_TESTING="1")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "ingest_file", "--org", "killco", str(big.periods[0].files[0])],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    observer = raw_connection()

    def loading() -> bool:
        assert process.poll() is None, process.stderr.read().decode()[-2000:] if process.stderr else ""
        row = observer.execute(
            f'SELECT status, rows FROM "{schema}".costs_ingestionjob ORDER BY id DESC LIMIT 1'
        ).fetchone()
        return bool(row and row[0] == JobStatus.RUNNING and row[1] > 0)

    wait_for(loading, "the load to be under way")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    observer.close()

    killed = IngestionJob.objects.order_by("-id").first()
    assert killed is not None and killed.status == JobStatus.RUNNING  # killed, never finished
    assert db_totals() == before
    assert CostLineItem.objects.count() == lines_before
    # The dead session's lock is gone: the same period ingests again.
    delivery_ingest(source=source, files=[as_file(small.periods[0].files[0])])
    assert db_totals() == before


def test_a_second_ingest_of_the_same_period_waits_for_the_first(committed_org):
    world = committed_org("lockco")
    enter(world)
    source = CostSource.objects.uploads()
    holder = raw_connection()
    holder.autocommit = False
    key = _lock_key(world.organization.schema_name, source.pk, datetime.date(2025, 3, 1))
    holder.execute("SELECT pg_advisory_xact_lock(%s)", [key])  # as if another ingest of March were running
    outcome: dict = {}

    def ingest() -> None:
        try:
            connection.set_tenant(world.organization)  # type: ignore[attr-defined]
            outcome["summary"] = delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=ingest)
    thread.start()
    watcher = raw_connection()

    def waiting() -> bool:
        row = watcher.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
        return row is not None and row[0] == 1

    wait_for(waiting, "the second ingest to wait on the period lock")
    assert thread.is_alive() and CostLineItem.objects.count() == 0
    holder.commit()
    thread.join(60)
    holder.close()
    watcher.close()
    assert "error" not in outcome, outcome
    assert outcome["summary"].rows == 5 and CostLineItem.objects.count() == 5
