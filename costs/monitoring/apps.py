"""The monitoring app: anomalies, forecasts, budgets and alerts.

It reads the bill through `costs.selectors` only (an import contract says so).
"""

from typing import Any

from django.apps import AppConfig


def _run_after_ingestion(sender: Any, **kwargs: Any) -> None:
    # Sent on commit of a succeeded ingestion, in the organization's schema: the period is whole.
    from costs.monitoring.tasks import monitoring_run_task

    monitoring_run_task.delay(trigger="ingestion")


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "costs.monitoring"
    label = "monitoring"
    verbose_name = "Cost monitoring"

    def ready(self) -> None:
        from costs.monitoring.panels import home_panel
        from costs.signals import ingestion_succeeded
        from finops.home_panels import home_panel_register

        ingestion_succeeded.connect(_run_after_ingestion, dispatch_uid="monitoring-run-after-ingestion")
        home_panel_register("monitoring", home_panel, order=20)
