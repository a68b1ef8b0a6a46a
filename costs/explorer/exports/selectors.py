"""Reads of FOCUS exports for the Exports page and the API: the list, one export's state."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from costs.explorer.models import ExportStatus, FocusExport
from costs.selectors import focus_billed_periods

RECENT = 50


def focus_exports_recent(*, limit: int = RECENT) -> QuerySet[FocusExport]:
    """This organization's latest FOCUS exports, newest first."""
    return FocusExport.objects.all()[:limit]


def focus_export_periods() -> list[datetime.date]:
    """The billing periods an export can be requested for (delivered by a bill), newest first."""
    return focus_billed_periods()


def focus_export_state(export: FocusExport) -> dict[str, Any]:
    """One export's state as JSON-ready values (the page's live status, the API's representation)."""
    ready = export.status == ExportStatus.SUCCEEDED and bool(export.file_key)
    duration = export.duration
    return {
        "id": export.pk,
        "billing_period": f"{export.billing_period:%Y-%m}",
        "format": export.format,
        "status": export.status,
        "status_label": export.get_status_display(),
        "active": export.is_active,
        "progress": round(export.progress, 4),
        "rows": export.rows,
        "rows_total": export.rows_total,
        "file_name": export.file_name if ready else None,
        "file_size": export.file_size if ready else None,
        "download_url": reverse("explorer_export_download", args=[export.pk]) if ready else None,
        "error": export.error,
        "created_at": export.created_at.isoformat(),
        "duration_seconds": round(duration.total_seconds(), 1) if duration is not None else None,
    }
