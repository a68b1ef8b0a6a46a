from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from costs.answers import bill_changed
        from costs.models import CostSource

        # Deleting a source deletes its rollups and line items (cascade): cached answers go.
        post_delete.connect(
            lambda **kwargs: bill_changed(), sender=CostSource, weak=False, dispatch_uid="bill-changed-source-delete"
        )
