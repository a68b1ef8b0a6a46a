"""FOCUS exports: request one (`focus_export_create`, queued on commit) and run it (`focus_export_run`, in a worker).

The run streams the period's line items in bounded batches into a temporary file, then stores it
in the organization's file storage (tenant-prefixed keys; S3 in production), so memory stays flat
whatever the size of the bill and the request never waits for the file.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from costs.explorer.exports.file import focus_text_table, focus_writer
from costs.explorer.models import ExportFormat, ExportStatus, FocusExport
from costs.selectors import focus_billed_periods, focus_line_batches, focus_period, focus_period_unchanged
from finops.db import current_schema

log = logging.getLogger(__name__)

BATCH_ROWS = 20_000
# Writing is most of the work; storing the finished file is the rest of the bar.
WRITE_SHARE = 0.95


class ExportError(Exception):
    """An export that cannot be requested or completed; the message says why, for the page."""


def focus_export_filename(export: FocusExport) -> str:
    """The download's name: built from the organization, period, format and id only (safe anywhere)."""
    suffix = export.format  # csv, csv.gz or parquet
    schema = "".join(c for c in current_schema() if c.isalnum() or c in "-_") or "organization"
    return f"focus-1.2_{schema}_{export.billing_period:%Y-%m}_{export.pk}.{suffix}"


@transaction.atomic
def focus_export_create(
    *, billing_period: datetime.date, format: str, requested_by_id: int | None = None
) -> FocusExport:
    """Request a FOCUS 1.2 export of a billed period as csv, csv.gz or parquet; a worker writes it (queued on commit).

    Raises ExportError for a period no bill delivered or an unknown format.
    """
    if format not in ExportFormat.values:
        raise ExportError(f"{format!r} is not an export format: choose csv, csv.gz or parquet.")
    billing_period = billing_period.replace(day=1)
    if billing_period not in focus_billed_periods():
        raise ExportError(f"No bill has been delivered for {billing_period:%B %Y}: there is nothing to export.")
    export = FocusExport.objects.create(billing_period=billing_period, format=format, requested_by_id=requested_by_id)

    def enqueue() -> None:
        from costs.explorer.tasks import focus_export_write

        result = focus_export_write.delay(export.pk)
        FocusExport.objects.filter(pk=export.pk).update(celery_task_id=result.id or "")

    transaction.on_commit(enqueue)
    return export


def _claim(export_id: int) -> FocusExport | None:
    """Mark the export running if it is queued or was left running (a redelivered task); None if done."""
    claimed = FocusExport.objects.filter(pk=export_id, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), progress=0.0, rows=0, error=""
    )
    return FocusExport.objects.get(pk=export_id) if claimed else None


def focus_export_run(*, export_id: int, batch_rows: int = BATCH_ROWS) -> FocusExport | None:
    """Write the export's file and mark it succeeded, or failed with the reason; None if it was already finished.

    Not atomic on purpose: progress is committed batch by batch so the page can show it.
    """
    export = _claim(export_id)
    if export is None:
        return None
    try:
        _write(export, batch_rows)
    except Exception as error:
        log.exception("FOCUS export %s failed", export_id)
        message = (
            str(error) if isinstance(error, ExportError) else f"The export failed: {type(error).__name__}: {error}"
        )
        FocusExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
        )
    return FocusExport.objects.get(pk=export_id)


def _write(export: FocusExport, batch_rows: int) -> None:
    period = focus_period(billing_period=export.billing_period)
    if not period.rows:
        raise ExportError(f"{export.billing_period:%B %Y} has no line items (any more): there is nothing to export.")
    FocusExport.objects.filter(pk=export.pk).update(rows_total=period.rows)
    name = focus_export_filename(export)
    with tempfile.TemporaryDirectory(prefix="focus-export-") as tmp:
        path = Path(tmp) / name
        writer = focus_writer(path, export.format)
        written = 0
        try:
            for batch in focus_line_batches(period=period, batch_size=batch_rows):
                writer.write(focus_text_table(batch))
                written += batch.num_rows
                FocusExport.objects.filter(pk=export.pk).update(
                    rows=written, progress=WRITE_SHARE * written / period.rows
                )
        finally:
            writer.close()
        if written != period.rows or not focus_period_unchanged(period):
            raise ExportError(
                f"A new delivery replaced {export.billing_period:%B %Y} while it was being exported: request the export again."
            )
        with path.open("rb") as content:
            key = default_storage.save(f"exports/focus/{export.pk}/{name}", File(content, name=name))
        size = path.stat().st_size
    FocusExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.SUCCEEDED,
        progress=1.0,
        file_name=name,
        file_key=key,
        file_size=size,
        finished_at=timezone.now(),
    )
