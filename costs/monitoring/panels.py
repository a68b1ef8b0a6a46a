"""The monitoring panel on the home page: open anomalies, the month-end forecast, budget status."""

from __future__ import annotations

from django.http import HttpRequest

from costs.monitoring.models import AnomalyStatus
from costs.monitoring.selectors import anomaly_list, budgets_overview, forecast_day, organization_forecast
from finops.home_panels import HomePanel


def home_panel(request: HttpRequest) -> HomePanel | None:
    today = forecast_day()
    anomalies = list(anomaly_list(status=AnomalyStatus.OPEN)[:5])
    budgets = budgets_overview(today=today)
    forecasts = organization_forecast(today=today)
    if not (anomalies or budgets or forecasts):
        return None
    return HomePanel(
        "monitoring/home_panel.html",
        {
            "anomalies": anomalies,
            "open_count": anomaly_list(status=AnomalyStatus.OPEN).count(),
            "budgets": budgets,
            "forecasts": forecasts,
        },
    )
