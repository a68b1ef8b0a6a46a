"""Job progress and heartbeat written outside the replacement transaction, so a polling page sees them move.

The ingest holds one long transaction on Django's connection; progress goes through a second,
autocommit connection. The update is conditional (only a running job), throttled, and
best-effort: a failed progress write never fails the ingest. The heartbeat is a thread with
a connection of its own that stamps the running job every few seconds, whatever the ingest
is doing (reading, COPY, rebuilding rollups): it stops only when the process dies.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from django.db import connection

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 1.0


def _connect() -> psycopg.Connection:
    settings = connection.settings_dict
    conn = psycopg.connect(
        dbname=settings["NAME"],
        user=settings.get("USER") or None,
        password=settings.get("PASSWORD") or None,
        host=settings.get("HOST") or None,
        port=settings.get("PORT") or None,
        autocommit=True,
        connect_timeout=5,
    )
    # If the caller's own transaction holds the job row, waiting would deadlock us with
    # ourselves; give up on this write instead.
    conn.execute("SET lock_timeout = '500ms'")
    return conn


class ProgressReporter:
    def __init__(self, job_id: int | None) -> None:
        self.job_id = job_id
        self._conn: psycopg.Connection | None = None
        self._last = 0.0
        self._broken = False

    def _connect(self) -> psycopg.Connection:
        return _connect()

    def report(self, *, rows: int, bytes_done: int, force: bool = False) -> None:
        if self.job_id is None or self._broken:
            return
        now = time.monotonic()
        if not force and now - self._last < INTERVAL_SECONDS:
            return
        self._last = now
        table = f'"{connection.schema_name}".costs_ingestionjob'  # type: ignore[attr-defined]
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.execute(
                f"UPDATE {table} SET rows = %s, bytes_done = %s, heartbeat_at = now() WHERE id = %s AND status = 'running'",
                [rows, bytes_done, self.job_id],
            )
        except psycopg.Error as exc:
            logger.warning("progress update for job %s failed: %s", self.job_id, exc)
            self._broken = True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


HEARTBEAT_SECONDS = 5.0


class Heartbeat:
    """`with Heartbeat(job_id):` stamps `heartbeat_at` on the running job every HEARTBEAT_SECONDS.

    A failed stamp is logged and tried again at the next beat; it never fails the ingest.
    """

    def __init__(self, job_id: int | None, *, interval: float = HEARTBEAT_SECONDS) -> None:
        self.job_id = job_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.job_id is not None:
            table = f'"{connection.schema_name}".costs_ingestionjob'  # type: ignore[attr-defined]
            self._thread = threading.Thread(target=self._run, args=(table,), name="ingest-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, table: str) -> None:
        conn: psycopg.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:
                        conn = _connect()
                    conn.execute(
                        f"UPDATE {table} SET heartbeat_at = now() WHERE id = %s AND status = 'running'", [self.job_id]
                    )
                except psycopg.Error as exc:
                    logger.warning("heartbeat of job %s failed: %s", self.job_id, exc)
                    if conn is not None and conn.closed:
                        conn = None
        finally:
            if conn is not None:
                conn.close()
