"""Reads of the monitoring app for pages and the API: lists with filters (lookups by id are in access.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from costs.monitoring.models import AlertSubscription, Anomaly, AnomalyStatus, Budget, Monitor, MonitoringRun
from costs.monitoring.services.budgets import budgets_status
from costs.selectors import latest_cost_day, month_end_forecast

ANOMALY_SORTS = {
    "impact": "-impact_amount",
    "recent": "-detected_day",
    "percent": "-impact_percent",
    "start": "-start_day",
}


def anomaly_list(
    *,
    anomalies: QuerySet[Anomaly] | None = None,
    status: str = "",
    severity: str = "",
    monitor_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    sort: str = "impact",
) -> QuerySet[Anomaly]:
    """Anomalies (all, or the given queryset) filtered by status, severity, monitor and the days they
    overlap (`since`..`until`), sorted by impact (default), recency, percent or first day, newest first."""
    anomalies = (Anomaly.objects.all() if anomalies is None else anomalies).select_related("monitor")
    if status:
        anomalies = anomalies.filter(status=status)
    if severity:
        anomalies = anomalies.filter(severity=severity)
    if monitor_id:
        anomalies = anomalies.filter(monitor_id=monitor_id)
    if since:
        anomalies = anomalies.filter(end_day__gte=since)
    if until:
        anomalies = anomalies.filter(start_day__lte=until)
    return anomalies.order_by(ANOMALY_SORTS.get(sort, "-impact_amount"), "-id")


def subscription_list(*, user: Any) -> QuerySet[AlertSubscription]:
    return AlertSubscription.objects.filter(user_id=user.pk)


def monitor_list(*, monitors: QuerySet[Monitor] | None = None) -> QuerySet[Monitor]:
    """Monitors (all, or the given queryset) with `open_anomalies`, their open anomalies, in one query."""
    monitors = Monitor.objects.all() if monitors is None else monitors
    open_anomalies = Count("anomalies", filter=Q(anomalies__status=AnomalyStatus.OPEN))
    return monitors.annotate(open_anomalies=open_anomalies).order_by("name", "id")


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


def budgets_overview(*, today: datetime.date, budgets: Iterable[Budget] | None = None) -> list[dict[str, Any]]:
    """Each budget (all of them, or `budgets`) with this month's actual, forecast and percentages of its amount."""
    return budgets_status(Budget.objects.all() if budgets is None else budgets, today=today)


def organization_forecast(*, today: datetime.date) -> list[Any]:
    """Month-end forecast of all spend per currency, with its interval."""
    return month_end_forecast(today=today)


def last_run() -> MonitoringRun | None:
    return MonitoringRun.objects.first()


def forecast_day() -> datetime.date:
    """Today, or the newest day with cost data when the bill lags (forecasts and budgets run from there)."""
    today = timezone.now().date()
    return min(today, latest_cost_day() or today)
