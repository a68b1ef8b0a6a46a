"""Celery tasks of the explorer app (queue "ingest" via CELERY_TASK_ROUTES: an export reads a whole
billing period, like an ingest, and must not hold up the short tasks of the default queue)."""

from __future__ import annotations

from typing import Any

from costs.explorer.exports.services import focus_export_run
from finops.celery import tenant_task


@tenant_task(name="costs.explorer.tasks.focus_export_write")
def focus_export_write(export_id: int) -> dict[str, Any]:
    """Write one requested FOCUS export; safe to run twice (a finished export is left as it is)."""
    export = focus_export_run(export_id=export_id)
    if export is None:
        return {"export": export_id, "skipped": "already finished"}
    return {"export": export_id, "status": export.status, "rows": export.rows}
