"""Routes of the costs app on the public site (include from finops/urls_public.py)."""

from django.urls import path

from costs import views
from costs.cloudformation import TEMPLATE_FILENAME

urlpatterns = [
    path(f"aws/{TEMPLATE_FILENAME}", views.cloudformation_template_public, name="cost_cloudformation_public"),
]
