"""The integration API of recommendations: list (filters, ordering by savings), detail, status changes.

Reads go through `recommendations.selectors`, status changes through the workflow service the
pages use (`recommendation_status_change`), so dismissing needs a reason and snoozing a date.
As on the pages, viewers only read; owners, admins and members (or a read-write key) change status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finops.api import OrganizationViewSet
from recommendations import selectors
from recommendations.models import Category, Level, Recommendation, Status
from recommendations.serializers import (
    ORDERINGS,
    STATUS_FILTERS,
    RecommendationDetailSerializer,
    RecommendationFilterSerializer,
    RecommendationSerializer,
    StatusInputSerializer,
)
from recommendations.services.workflow import WorkflowError, recommendation_status_change
from tenants.models import Role


@dataclass(frozen=True)
class KeyActor:
    """Who the history names when an API key changes a status: the key (prefix and name), not a person."""

    pk: None
    email: str


def _actor(request: Request, api_key: Any) -> Any:
    if api_key is None:
        return request.user
    return KeyActor(pk=None, email=f"API key {api_key.prefix} ({api_key.name})"[:254])


def _field_of(error: WorkflowError, to_status: str) -> str:
    """Which input a refused change is about: the reason of a dismissal, the date of a snooze, else the status."""
    message = str(error)
    if to_status == Status.DISMISSED and "why" in message:
        return "reason"
    if to_status == Status.SNOOZED and "snooze" in message:
        return "snoozed_until"
    return "to_status"


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The recommendation's id.")


@extend_schema_view(
    list=extend_schema(
        summary="List recommendations",
        description="Savings opportunities the detectors still find (and done ones), largest monthly saving first. "
        "Savings are computed in code from the bill and pricing tables, never by the model.",
        parameters=[
            OpenApiParameter("category", str, enum=Category.values, description="Only this category."),
            OpenApiParameter("account", str, description="Only this linked account id."),
            OpenApiParameter(
                "status",
                str,
                enum=STATUS_FILTERS,
                description="active (default: open, in progress, and snoozes that ran out), one status, or all.",
            ),
            OpenApiParameter("effort", str, enum=Level.values, description="Only this effort."),
            OpenApiParameter(
                "ordering", str, enum=list(ORDERINGS), description="-savings (default, largest first) or savings."
            ),
        ],
    ),
    retrieve=extend_schema(
        summary="A recommendation",
        description="How the saving was computed (`savings_method`, `facts`), the evidence from the bill with explorer "
        "links, the rationale, risk and steps (`rationale_source` says whether AI wrote them), the status history, "
        "the statuses it may move to, and for a done one what it saved since.",
        parameters=[ID],
        responses=RecommendationDetailSerializer,
    ),
)
class RecommendationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = Recommendation.objects.all()
    serializer_class = RecommendationSerializer
    # Who may change a status: the page's rule (recommendations.access.can_act: not viewers), keys by scope.
    session_write_roles = frozenset(role for role in Role if role != Role.VIEWER)

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list":
            params = RecommendationFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            rows = selectors.recommendations_list(filters=params.filters(), recommendations=queryset)
            return rows.order_by(*ORDERINGS[params.validated_data["ordering"]])
        return queryset.prefetch_related("evidence", "history")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(RecommendationDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Change a recommendation's status",
        description="open → in_progress → done; dismissed (with a `reason`); snoozed until `snoozed_until` (after "
        "today, within a year; it counts as open again from that day). Done and dismissed can be reopened. The "
        "change is kept in its history.",
        parameters=[ID],
        request=StatusInputSerializer,
        responses=RecommendationDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        recommendation = self.get_object()
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to_status = data.validated_data["to_status"]
        try:
            recommendation_status_change(
                recommendation_id=recommendation.pk,
                to_status=to_status,
                user=_actor(request, self.api_key),
                reason=data.validated_data["reason"],
                snoozed_until=data.validated_data["snoozed_until"],
            )
        except WorkflowError as error:
            message = str(error)
            raise ValidationError({_field_of(error, to_status): [message[:1].upper() + message[1:] + "."]}) from None
        fresh = self.get_queryset().get(pk=recommendation.pk)
        return Response(RecommendationDetailSerializer(fresh).data)
