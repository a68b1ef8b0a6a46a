"""The Exports page: request a FOCUS 1.2 export of a billed period, follow its progress, download it.

The file is written by a worker (never in the request); the page polls each running export's JSON
status (static/js/exports.js) and the download is served through a scoped view (404 for outsiders).
"""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from costs.explorer.exports.access import focus_export_get
from costs.explorer.exports.selectors import focus_export_periods, focus_export_state, focus_exports_recent
from costs.explorer.exports.services import ExportError, focus_export_create
from costs.explorer.models import ExportFormat, ExportStatus
from tenants.access import organization_page, request_membership

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.CSV_GZ: "application/gzip",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


class ExportForm(forms.Form):
    billing_period = forms.TypedChoiceField(label="Billing period", coerce=datetime.date.fromisoformat)
    format = forms.ChoiceField(
        label="Format", choices=ExportFormat.choices, initial=ExportFormat.CSV, widget=forms.RadioSelect
    )

    def __init__(self, *args: object, periods: list[datetime.date], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["billing_period"].choices = [(p.isoformat(), f"{p:%B %Y}") for p in periods]  # type: ignore[attr-defined]


@organization_page
def exports(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    periods = focus_export_periods()
    form = ExportForm(request.POST or None, periods=periods)
    if request.method == "POST" and form.is_valid():
        try:
            export = focus_export_create(
                billing_period=form.cleaned_data["billing_period"],
                format=form.cleaned_data["format"],
                requested_by_id=request.user.pk,
            )
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"The {export.billing_period:%B %Y} export is on its way; it appears below when ready."
            )
            return redirect("explorer_exports")
    rows = [(export, focus_export_state(export)) for export in focus_exports_recent()]
    context = {"membership": membership, "form": form, "periods": periods, "rows": rows}
    return render(request, "explorer/exports.html", context, status=400 if form.errors else 200)


@organization_page
@require_GET
def export_status(request: HttpRequest, export_id: int) -> JsonResponse:
    response = JsonResponse(focus_export_state(focus_export_get(request, export_id)))
    response["Cache-Control"] = "no-store"
    return response


@organization_page
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    export = focus_export_get(request, export_id)
    if export.status != ExportStatus.SUCCEEDED or not export.file_key:
        raise Http404("This export has no file (yet)")
    content = default_storage.open(export.file_key, "rb")
    response = FileResponse(content, as_attachment=True, filename=export.file_name)
    response["Content-Type"] = CONTENT_TYPES.get(ExportFormat(export.format), "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)  # streamed: a FileResponse, which pages' decorators pass through
