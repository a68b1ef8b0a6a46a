"""Job progress written outside the replacement transaction, so a polling page sees it move.

The ingest holds one long transaction on Django's connection; progress goes through a second,
autocommit connection. The update is conditional (only a running job), throttled, and
best-effort: a failed progress write never fails the ingest.
"""

from __future__ import annotations

import logging
import time

import psycopg
from django.db import connection

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 1.0


class ProgressReporter:
    def __init__(self, job_id: int | None) -> None:
        self.job_id = job_id
        self._conn: psycopg.Connection | None = None
        self._last = 0.0
        self._broken = False

    def _connect(self) -> psycopg.Connection:
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
        # ourselves; give up on progress instead.
        conn.execute("SET lock_timeout = '500ms'")
        return conn

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
                f"UPDATE {table} SET rows = %s, bytes_done = %s WHERE id = %s AND status = 'running'",
                [rows, bytes_done, self.job_id],
            )
        except psycopg.Error as exc:
            logger.warning("progress update for job %s failed: %s", self.job_id, exc)
            self._broken = True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
