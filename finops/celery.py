"""The one Celery app. Tasks that touch organization data must be `tenant_task`s.

tenant-schemas-celery switches the worker's connection to the schema named in the task's
headers, but when the header is missing it silently uses `public`. A tenant task that ran
in `public` would read or write shared tables (or nothing) without error, so ours refuse.
"""

from __future__ import annotations

import os
from typing import Any

from celery import current_task
from celery.signals import worker_process_init
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from finops.db import current_schema
from finops.queues import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finops.settings")


class TenantRequiredError(RuntimeError):
    """A tenant task was run without an organization's schema."""


class TenantOnlyTask(TenantTask):
    """Runs in the schema of the organization that sent it, or not at all."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        schema = current_schema()
        if not schema or schema == "public":
            raise TenantRequiredError(f"{self.name} is a tenant task and was sent without an organization schema")
        return super().__call__(*args, **kwargs)


app = CeleryApp("finops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues_names = [q.value for q in Queue]
app.autodiscover_tasks()


@worker_process_init.connect
def _trace_worker_process(**_: Any) -> None:
    # In each forked worker process: span exporter threads do not survive a fork.
    from finops.tracing import configure_tracing

    configure_tracing(service="finops-worker")


def tenant_task(*args: Any, **kwargs: Any) -> Any:
    """Decorator for tasks that work inside one organization's schema."""
    kwargs.setdefault("base", TenantOnlyTask)
    return app.task(*args, **kwargs)


def shared_task(*args: Any, **kwargs: Any) -> Any:
    """Decorator for tasks that work on the public schema only (fan-out, housekeeping).

    They keep the app's tenant-aware base class (whose signal handlers expect it) and run
    in the schema they were sent from, which for beat and the fan-out is `public`.
    """
    return app.task(*args, **kwargs)


def soft_time_limit_seconds() -> int:
    """The soft time limit of the running task (as sent, else the configured default)."""
    request = getattr(current_task, "request", None)
    limits = getattr(request, "timelimit", None) or (None, None)
    soft = limits[1] if len(limits) > 1 else None
    return int(soft or app.conf.task_soft_time_limit or 0)
