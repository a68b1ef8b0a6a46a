from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "costs.explorer"
    label = "explorer"
    verbose_name = "Cost explorer"
