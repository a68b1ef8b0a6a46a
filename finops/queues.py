"""The Celery queues: one name each, shared by the Celery app, task routes in settings and the deployment."""

from __future__ import annotations

import enum


class Queue(enum.StrEnum):
    DEFAULT = "default"
    INGEST = "ingest"
    AI = "ai"
