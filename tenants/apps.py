from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from finops.account_guards import allauth_counters_make_global
        from finops.middleware import tenant_host_cache_clear
        from tenants.models import ApiKey, Domain, Organization
        from tenants.services.api_keys import api_key_cache_forget

        allauth_counters_make_global()
        # Hosts are cached per process (finops.middleware.TenantHostMiddleware): a change forgets them.
        for model in (Organization, Domain):
            post_save.connect(
                tenant_host_cache_clear, sender=model, dispatch_uid=f"tenant-host-cache-{model.__name__}-save"
            )
            post_delete.connect(
                tenant_host_cache_clear, sender=model, dispatch_uid=f"tenant-host-cache-{model.__name__}-delete"
            )
        # Resolved keys are cached by prefix (tenants.services.api_keys): a change forgets them.
        post_save.connect(api_key_cache_forget, sender=ApiKey, dispatch_uid="api-key-cache-save")
        post_delete.connect(api_key_cache_forget, sender=ApiKey, dispatch_uid="api-key-cache-delete")
