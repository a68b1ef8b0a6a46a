from django.urls import path

from costs import views

urlpatterns = [
    path("costs/", views.costs, name="costs"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("cloud-accounts/", views.accounts, name="cost_accounts"),
]
