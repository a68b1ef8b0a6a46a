from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, pre_delete

        from costs.answers import bill_changed
        from costs.models import CostSource

        # Deleting a source deletes its rollups and line items (cascade): cached answers go.
        post_delete.connect(
            lambda **kwargs: bill_changed(), sender=CostSource, weak=False, dispatch_uid="bill-changed-source-delete"
        )
        # Its line items are whole partitions: emptied at once, dropped after the commit (not cascaded).
        pre_delete.connect(_line_partitions_release, sender=CostSource, weak=False, dispatch_uid="source-partitions")


def _line_partitions_release(instance: object, using: str, **kwargs: object) -> None:
    from django.db import connections

    from costs.ingest.partitions import source_partitions_release

    with connections[using].cursor() as cursor:
        source_partitions_release(cursor, source_id=instance.pk)  # type: ignore[attr-defined]
