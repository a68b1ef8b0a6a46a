"""Scoped lookups of the monitoring app: ids from a request reach objects only through `scoped_get` (404 otherwise)."""

from __future__ import annotations

from django.http import HttpRequest

from costs.monitoring.models import AlertSubscription, Anomaly, Budget, Monitor
from costs.monitoring.selectors import subscription_list
from tenants.access import scoped_get


def anomaly_get(request: HttpRequest, anomaly_id: int) -> Anomaly:
    return scoped_get(request, Anomaly.objects.select_related("monitor"), pk=anomaly_id)


def monitor_get(request: HttpRequest, monitor_id: int) -> Monitor:
    return scoped_get(request, Monitor.objects.all(), pk=monitor_id)


def budget_get(request: HttpRequest, budget_id: int) -> Budget:
    return scoped_get(request, Budget.objects.all(), pk=budget_id)


def subscription_get(request: HttpRequest, subscription_id: int) -> AlertSubscription:
    """The signed-in member's own subscription; anybody else's is a 404."""
    return scoped_get(request, subscription_list(user=request.user), pk=subscription_id)
