from typing import Any

from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from costs.signals import ingestion_succeeded

        ingestion_succeeded.connect(_run_after_ingestion, dispatch_uid="recommendations-after-ingestion")


def _run_after_ingestion(sender: Any, **kwargs: Any) -> None:
    """A new bill is in: refresh the recommendations (on the ai queue, debounced)."""
    from recommendations.models import RunTrigger
    from recommendations.tasks import run_soon

    run_soon(trigger=RunTrigger.INGESTION)
