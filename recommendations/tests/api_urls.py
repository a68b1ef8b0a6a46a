"""The organization's URLs with the recommendations API under /api/v1/ (until the API's router lands on main)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from finops.urls_tenants import urlpatterns as tenant_urlpatterns
from recommendations.api import routes

router = SimpleRouter()
for prefix, viewset, basename in routes:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [path("api/v1/", include(router.urls)), *tenant_urlpatterns]
