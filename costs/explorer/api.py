"""The integration API of the explorer app: saved views and FOCUS exports.

Same rules and services as the pages. Saved views: every member saves and reads them (viewers
too, as on the page); only the creator or an owner/admin renames or deletes one
(`saved_view_can_change`). With an API key there is no creator: a key may save views (they are
saved with no creator), and a read-write key, which only owners and admins can make, counts as
an owner/admin for renaming or deleting anyone's view; a read-only key only reads (403).

FOCUS exports: every member (as on the Exports page) or a read-write key requests an export of
a billed period; a worker writes it; the file downloads from the organization's storage once the
export succeeded (404 before).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from costs.explorer.exports.selectors import focus_export_periods, focus_export_state
from costs.explorer.exports.services import ExportError, focus_export_create
from costs.explorer.models import ExportFormat, ExportStatus, FocusExport, SavedView
from costs.explorer.serializers import (
    ExportPeriodsSerializer,
    FocusExportCreateSerializer,
    FocusExportSerializer,
    SavedViewCreateSerializer,
    SavedViewRenameSerializer,
    SavedViewSerializer,
)
from costs.explorer.services import saved_view_can_change, saved_view_create, saved_view_delete, saved_view_rename
from finops.api import OrganizationViewSet
from tenants.models import Role

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The object's id.")
EVERY_MEMBER = frozenset(Role)
DOWNLOAD_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.CSV_GZ: "application/gzip",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


@dataclass(frozen=True)
class KeyMember:
    """An API key in the saved-view services' place of a membership: nobody created anything with it,
    and a read-write key (made only by owners and admins) manages like they do."""

    user_id: None
    can_manage: bool


def _acting(view: OrganizationViewSet) -> Any:
    if view.api_key is not None:
        return KeyMember(user_id=None, can_manage=view.api_key.can_write)
    return view.membership


def _invalid(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(as_serializer_error(error))


@extend_schema_view(
    list=extend_schema(
        summary="List saved views",
        description="The organization's saved explorer questions, by name. `query` opens in the explorer "
        "(/costs/?<query>) and answers in /api/v1/costs/breakdown?<query>.",
    ),
    retrieve=extend_schema(summary="A saved view", description="One saved view.", parameters=[ID]),
)
class SavedViewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = SavedView.objects.all()
    serializer_class = SavedViewSerializer
    # As on the page: every member, viewers too, saves views; renaming and deleting is the service's rule.
    session_write_roles = EVERY_MEMBER

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        acting = _acting(self) if self.organization is not None else None
        if acting is not None:
            context["can_change"] = lambda view: saved_view_can_change(view=view, membership=acting)
        return context

    @extend_schema(
        summary="Save a view",
        description="Save an explorer question under a name, shared with the organization. Every member may "
        "(viewers too), or a read-write key (the view then has no creator). The name is unique in the organization "
        "(case-insensitively) and one line without control characters; the query must be a question the explorer "
        "accepts (400 names the wrong parameter).",
        request=SavedViewCreateSerializer,
        responses={201: SavedViewSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SavedViewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            view = saved_view_create(
                membership=_acting(self), name=data.validated_data["name"], query_string=data.validated_data["query"]
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        return Response(self.get_serializer(view).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename a saved view",
        description="Its creator, or an owner or admin (or a read-write key) may rename it; other members get 403.",
        parameters=[ID],
        request=SavedViewRenameSerializer,
        responses={200: SavedViewSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = cast(SavedView, self.get_object())
        data = SavedViewRenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            view = saved_view_rename(membership=_acting(self), view=view, name=data.validated_data["name"])
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise _invalid(error) from None
        return Response(self.get_serializer(view).data)

    @extend_schema(
        summary="Delete a saved view",
        description="Its creator, or an owner or admin (or a read-write key); other members get 403.",
        parameters=[ID],
        responses={204: None},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = cast(SavedView, self.get_object())
        try:
            saved_view_delete(membership=_acting(self), view=view)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _export_body(export: FocusExport) -> dict[str, Any]:
    state = focus_export_state(export)
    ready = state["download_url"] is not None
    state["download_url"] = reverse("api-export-download", args=[export.pk]) if ready else None
    return state


@extend_schema_view(
    list=extend_schema(
        summary="List FOCUS exports",
        description="The organization's FOCUS 1.2 exports, newest first, with their status.",
        responses=FocusExportSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="A FOCUS export's status",
        description="Queued, running (with progress), succeeded (with the file's name, size and download URL) or "
        "failed (with the reason). Poll it until `active` is false.",
        parameters=[ID],
        responses=FocusExportSerializer,
    ),
)
class FocusExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = FocusExport.objects.all()
    serializer_class = FocusExportSerializer
    # As on the Exports page: every member may request one; keys by their scope.
    session_write_roles = EVERY_MEMBER

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_export_body(export) for export in page or []])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_export_body(cast(FocusExport, self.get_object())))

    @extend_schema(
        summary="Request a FOCUS export",
        description="A FOCUS 1.2 file (csv, csv.gz or parquet) of one billing period a bill delivered "
        "(/api/v1/exports/periods); a worker writes it. Answers 202 with the queued export: poll its status, then "
        "download it. A period with no bill is 400.",
        request=FocusExportCreateSerializer,
        responses={202: FocusExportSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = FocusExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["billing_period"]
        try:
            period = datetime.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
        except ValueError:
            raise exceptions.ValidationError({"billing_period": ["Not a date: YYYY-MM or YYYY-MM-DD."]}) from None
        try:
            export = focus_export_create(
                billing_period=period, format=data.validated_data["format"], requested_by_id=request.user.pk
            )
        except ExportError as error:
            raise exceptions.ValidationError({"billing_period": [str(error)]}) from None
        return Response(_export_body(export), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Billing periods that can be exported",
        description="The periods a bill delivered, newest first: the values `billing_period` accepts.",
        responses=ExportPeriodsSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def periods(self, request: Request) -> Response:
        self.organization_schema_check()
        return Response({"periods": [f"{period:%Y-%m}" for period in focus_export_periods()]})

    @extend_schema(
        summary="Download a FOCUS export",
        description="The export's file, streamed from the organization's storage, as an attachment: text/csv, "
        "application/gzip (csv.gz) or application/vnd.apache.parquet. 404 until the export has succeeded.",
        parameters=[ID],
        responses={(200, media): OpenApiTypes.BINARY for media in DOWNLOAD_TYPES.values()},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        export = cast(FocusExport, self.get_object())
        if export.status != ExportStatus.SUCCEEDED or not export.file_key:
            raise Http404("This export has no file (yet).")
        response = FileResponse(
            default_storage.open(export.file_key, "rb"), as_attachment=True, filename=export.file_name
        )
        response["Content-Type"] = DOWNLOAD_TYPES.get(ExportFormat(export.format), "application/octet-stream")
        response["Cache-Control"] = "private, no-store"
        return response
