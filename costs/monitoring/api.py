"""The integration API of the monitoring app: anomalies (+ feedback), monitors, budgets, alert subscriptions.

Reads go through `costs.monitoring.selectors`, writes through the same services as the pages.
Who may write (`session_write_roles`; a key by its scope): owners, admins and members give
feedback; monitors and budgets are changed by owners and admins, or a read-write key (only
admins make keys). Alert subscriptions belong to a person (they alert the member's own
address): every member, viewers too, manages their own, and an API key gets 403 on them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from costs.monitoring import selectors
from costs.monitoring.models import AlertSubscription, Anomaly, AnomalyStatus, Budget, BudgetAlert, Monitor, Severity
from costs.monitoring.serializers import (
    AnomalyDetailSerializer,
    AnomalyFilterSerializer,
    AnomalySerializer,
    BudgetSerializer,
    FeedbackInputSerializer,
    FeedbackResultSerializer,
    MonitorSerializer,
    SubscriptionSerializer,
)
from costs.monitoring.services import budgets as budget_services
from costs.monitoring.services import monitors as monitor_services
from costs.monitoring.services.runs import anomaly_root_cause_ensure
from finops.api import OrganizationViewSet
from tenants.models import MANAGER_ROLES, Role


def invalid(error: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as the API's 400 (fields named as the service named them)."""
    return ValidationError(as_serializer_error(error))


class PersonOnly(BasePermission):
    """Resources that belong to a signed-in person: an API key acts for nobody in particular."""

    message = "Alert subscriptions belong to a person: sign in to manage yours (an API key cannot)."

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(view, "api_key", None) is None and getattr(request.user, "pk", None) is not None


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The object's id.")


@extend_schema_view(
    list=extend_schema(
        summary="List anomalies",
        description="Anomalies of every monitor, largest impact first unless `ordering` says otherwise.",
        parameters=[
            OpenApiParameter("status", str, enum=AnomalyStatus.values, description="Only this status."),
            OpenApiParameter("severity", str, enum=Severity.values, description="Only this severity."),
            OpenApiParameter("monitor", int, description="Only this monitor's anomalies."),
            OpenApiParameter("since", OpenApiTypes.DATE, description="Anomalies still going on this day or later."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Anomalies that started on this day or earlier."),
            OpenApiParameter(
                "ordering",
                str,
                enum=list(selectors.ANOMALY_SORTS),
                description="impact (default), recent (detected), percent or start (first day), largest/newest first.",
            ),
        ],
    ),
    retrieve=extend_schema(
        summary="An anomaly",
        description="One anomaly with its root cause (the account × service × region × usage type rows, and the "
        "resource where one carries most of the increase) and its actual and expected daily spend.",
        parameters=[ID],
        responses=AnomalyDetailSerializer,
    ),
)
class AnomalyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = Anomaly.objects.all()
    serializer_class = AnomalySerializer

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list":
            params = AnomalyFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            found = params.validated_data
            return selectors.anomaly_list(
                anomalies=queryset,
                status=found.get("status", ""),
                severity=found.get("severity", ""),
                monitor_id=found.get("monitor"),
                since=found.get("since"),
                until=found.get("until"),
                sort=found["ordering"],
            )
        return queryset.select_related("monitor").prefetch_related("feedback")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        anomaly = anomaly_root_cause_ensure(anomaly=self.get_object())  # type: ignore[arg-type]
        return Response(AnomalyDetailSerializer(anomaly).data)

    @extend_schema(
        summary="Give feedback on an anomaly",
        description="A verdict, as on the anomaly's page: true_anomaly acknowledges it; expected resolves it and "
        "stops the same pattern (series, top cause, up to 1.5× the size) from alerting on this monitor again; "
        "not_anomaly resolves it.",
        parameters=[ID],
        request=FeedbackInputSerializer,
        responses={201: FeedbackResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        anomaly = self.get_object()
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            feedback = monitor_services.anomaly_feedback_record(
                anomaly=anomaly,  # type: ignore[arg-type]
                user=request.user,
                verdict=data.validated_data["verdict"],
                note=data.validated_data["note"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        result = FeedbackResultSerializer({"feedback": feedback, "anomaly": anomaly})
        return Response(result.data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List monitors", description="Every monitor with its open anomalies."),
    retrieve=extend_schema(
        summary="A monitor",
        description="What it watches (total, each service, account or tag value), its thresholds, whether it is "
        "muted, and its open anomalies.",
        parameters=[ID],
    ),
    create=extend_schema(
        summary="Add a monitor",
        description="Owners and admins (or a read-write key). It is judged from the next run. A tag monitor "
        "needs `tag_key`.",
    ),
)
class MonitorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, OrganizationViewSet):
    queryset = Monitor.objects.all()
    serializer_class = MonitorSerializer
    session_write_roles = MANAGER_ROLES  # as on the page: owners and admins (keys: their scope)

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return selectors.monitor_list(monitors=queryset)

    def perform_create(self, serializer: Any) -> None:
        try:
            serializer.instance = monitor_services.monitor_create(user=self.request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise invalid(error) from None
        serializer.instance.open_anomalies = 0

    def _mute(self, muted: bool) -> Response:
        monitor = monitor_services.monitor_mute(monitor=self.get_object(), muted=muted)  # type: ignore[arg-type]
        return Response(MonitorSerializer(monitor).data)

    @extend_schema(
        summary="Mute a monitor",
        description="A muted monitor still records anomalies but alerts nobody. Owners and admins.",
        parameters=[ID],
        request=None,
        responses=MonitorSerializer,
    )
    @action(detail=True, methods=["post"])
    def mute(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._mute(True)

    @extend_schema(
        summary="Unmute a monitor",
        description="Its anomalies alert again. Owners and admins.",
        parameters=[ID],
        request=None,
        responses=MonitorSerializer,
    )
    @action(detail=True, methods=["post"])
    def unmute(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._mute(False)


BUDGET_STATUS = (
    "`status` is this month's actual spend to date, the month-end forecast with its 80% interval, both as "
    "percentages of the amount, and the thresholds already crossed this month (null fields before any data)."
)


@extend_schema_view(
    list=extend_schema(summary="List budgets", description=f"Every monthly budget with its status. {BUDGET_STATUS}"),
    retrieve=extend_schema(summary="A budget", description=BUDGET_STATUS, parameters=[ID]),
    create=extend_schema(
        summary="Add a budget",
        description="Owners and admins (or a read-write key). A monthly amount in one currency over all spend, "
        "one service, one linked account or one tag value (`scope_value`, and `tag_key` for a tag); thresholds are "
        "percentages of the amount that alert once a month each, on actual spend and on the forecast.",
    ),
    update=extend_schema(summary="Replace a budget", description="Owners and admins.", parameters=[ID]),
    partial_update=extend_schema(summary="Change a budget", description="Owners and admins.", parameters=[ID]),
    destroy=extend_schema(summary="Delete a budget", description="Owners and admins.", parameters=[ID]),
)
class BudgetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationViewSet,
):
    queryset = Budget.objects.all()
    serializer_class = BudgetSerializer
    session_write_roles = MANAGER_ROLES  # as on the page: owners and admins (keys: their scope)

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        month = selectors.forecast_day().replace(day=1)
        return queryset.prefetch_related(Prefetch("alerts", queryset=BudgetAlert.objects.filter(period=month)))

    def _data(self, budgets: list[Budget]) -> Any:
        statuses = selectors.budgets_overview(today=selectors.forecast_day(), budgets=budgets)
        context = {**self.get_serializer_context(), "statuses": {s["budget"].pk: s for s in statuses}}
        return BudgetSerializer(budgets, many=True, context=context).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self._data(list(page)))
        return Response(self._data(list(queryset)))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._data([self.get_object()])[0])  # type: ignore[list-item]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            budget = budget_services.budget_create(user=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise invalid(error) from None
        return Response(self._data([self._fresh(budget.pk)])[0], status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        budget = self.get_object()
        serializer = self.get_serializer(budget, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            budget_services.budget_update(budget=budget, **serializer.validated_data)  # type: ignore[arg-type]
        except DjangoValidationError as error:
            raise invalid(error) from None
        return Response(self._data([self._fresh(budget.pk)])[0])

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        budget_services.budget_delete(budget=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, pk: int) -> Budget:
        return self.get_queryset().get(pk=pk)  # type: ignore[no-any-return]


@extend_schema_view(
    list=extend_schema(
        summary="List my alert subscriptions",
        description="The signed-in member's own subscriptions (an API key gets 403: subscriptions alert a person).",
    ),
    create=extend_schema(
        summary="Subscribe to alerts",
        description="Email to the member's address, or a Slack incoming webhook (https://); immediately or as a "
        "daily digest; anomalies from `min_severity` up, and/or budget thresholds.",
    ),
    destroy=extend_schema(summary="Unsubscribe", description="One of the member's own subscriptions.", parameters=[ID]),
)
class AlertSubscriptionViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, OrganizationViewSet
):
    queryset = AlertSubscription.objects.all()
    serializer_class = SubscriptionSerializer
    permission_classes = [*OrganizationViewSet.permission_classes, PersonOnly]
    # Every member manages their own subscriptions, viewers too (as on the Alerts page).
    session_write_roles = frozenset(Role)

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Someone else's subscription is a 404, like another organization's.
        return queryset.filter(user_id=self.request.user.pk)

    def perform_create(self, serializer: Any) -> None:
        try:
            serializer.instance = monitor_services.subscription_create(
                user=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise invalid(error) from None

    def perform_destroy(self, instance: Any) -> None:
        monitor_services.subscription_delete(subscription=instance)
