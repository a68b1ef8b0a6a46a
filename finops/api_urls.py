"""The integration API's routes, mounted at /api/v1/ on every organization's host (finops/urls_tenants.py).

One router for every app: each resource is one `router.register(...)` line, grouped by app.
Routes have no trailing slash (`/api/v1/costs/summary`). The OpenAPI document and the docs
(Swagger UI; assets from our static files via drf-spectacular-sidecar) sit beside them.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from costs.api import CostSourceViewSet, CostViewSet, IngestionJobViewSet
from costs.explorer.api import FocusExportViewSet, SavedViewViewSet
from costs.monitoring.api import AlertSubscriptionViewSet, AnomalyViewSet, BudgetViewSet, MonitorViewSet
from recommendations.api import RecommendationViewSet
from tenants.api import MembershipViewSet

router = SimpleRouter(trailing_slash=False)

# costs
router.register("sources", CostSourceViewSet, basename="api-source")
router.register("jobs", IngestionJobViewSet, basename="api-job")
router.register("costs", CostViewSet, basename="api-cost")

# costs.monitoring (anomalies, monitors, budgets)
router.register("anomalies", AnomalyViewSet, basename="api-anomaly")
router.register("monitors", MonitorViewSet, basename="api-monitor")
router.register("budgets", BudgetViewSet, basename="api-budget")
router.register("alert-subscriptions", AlertSubscriptionViewSet, basename="api-alert-subscription")

# costs.explorer (saved views, exports)
router.register("saved-views", SavedViewViewSet, basename="api-saved-view")
router.register("exports", FocusExportViewSet, basename="api-export")

# recommendations
router.register("recommendations", RecommendationViewSet, basename="api-recommendation")

# tenants (memberships)
router.register("members", MembershipViewSet, basename="api-member")


class SchemaView(SpectacularAPIView):
    # The document describes the API, not anyone's data: readable without credentials.
    authentication_classes: list[type] = []
    permission_classes: list[type] = []


class SwaggerView(SpectacularSwaggerSplitView):
    # Its init script comes from ?script rather than inline: the Content-Security-Policy forbids inline scripts.
    template_name = "api/swagger_ui.html"
    authentication_classes: list[type] = []
    permission_classes: list[type] = []


def not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Any other path under /api/v1/: the API's 404 body, never the site's HTML page."""
    return JsonResponse({"error": {"code": "not_found", "message": "No such endpoint.", "fields": {}}}, status=404)


urlpatterns = [
    *router.urls,
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
