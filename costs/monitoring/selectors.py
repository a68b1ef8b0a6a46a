"""Reads of the monitoring app for pages and the API: lists with filters (lookups by id are in access.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from costs.monitoring.models import AlertSubscription, Anomaly, AnomalyStatus, Budget, Monitor, MonitoringRun
from costs.monitoring.services.budgets import budget_status
from costs.selectors import latest_cost_day, month_end_forecast

ANOMALY_SORTS = {"impact": "-impact_amount", "recent": "-detected_day", "percent": "-impact_percent"}


def anomaly_list(
    *,
    status: str = "",
    severity: str = "",
    monitor_id: int | None = None,
    since: datetime.date | None = None,
    sort: str = "impact",
) -> QuerySet[Anomaly]:
    """Anomalies filtered by status, severity, monitor and first day, sorted by impact (default), recency or percent."""
    anomalies = Anomaly.objects.select_related("monitor")
    if status:
        anomalies = anomalies.filter(status=status)
    if severity:
        anomalies = anomalies.filter(severity=severity)
    if monitor_id:
        anomalies = anomalies.filter(monitor_id=monitor_id)
    if since:
        anomalies = anomalies.filter(end_day__gte=since)
    return anomalies.order_by(ANOMALY_SORTS.get(sort, "-impact_amount"), "-id")


def subscription_list(*, user: Any) -> QuerySet[AlertSubscription]:
    return AlertSubscription.objects.filter(user_id=user.pk)


def monitors_with_counts(*, today: datetime.date | None = None) -> list[dict[str, Any]]:
    """Monitors with their open anomalies and, when `today` is given, the month-end forecast of what they watch."""
    open_by_monitor: dict[int, int] = {}
    for monitor_id in Anomaly.objects.filter(status=AnomalyStatus.OPEN).values_list("monitor_id", flat=True):
        open_by_monitor[monitor_id] = open_by_monitor.get(monitor_id, 0) + 1
    rows = []
    for monitor in Monitor.objects.all():
        forecasts = []
        if today is not None:
            forecasts = month_end_forecast(
                today=today,
                dimension="tag" if monitor.dimension == "tag" else "total",
                tag_key=monitor.tag_key,
                basis=monitor.cost_basis,
                usage_only=monitor.usage_only,
            )
        rows.append({"monitor": monitor, "open": open_by_monitor.get(monitor.pk, 0), "forecasts": forecasts})
    return rows


def budgets_overview(*, today: datetime.date) -> list[dict[str, Any]]:
    return [budget_status(budget, today=today) for budget in Budget.objects.all()]


def organization_forecast(*, today: datetime.date) -> list[Any]:
    """Month-end forecast of all spend per currency, with its interval."""
    return month_end_forecast(today=today)


def last_run() -> MonitoringRun | None:
    return MonitoringRun.objects.first()


def forecast_day() -> datetime.date:
    """Today, or the newest day with cost data when the bill lags (forecasts and budgets run from there)."""
    today = timezone.now().date()
    return min(today, latest_cost_day() or today)
