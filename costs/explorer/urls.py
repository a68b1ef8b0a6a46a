from django.urls import path

from costs.explorer import views, views_reconciliation

urlpatterns = [
    path("", views.home, name="home"),
    path("costs/", views.costs, name="costs"),
    path("costs/export.csv", views.costs_csv, name="costs_csv"),
    path("costs/line-items/", views.drilldown, name="costs_drilldown"),
    path("costs/reconciliation/", views_reconciliation.reconciliation, name="costs_reconciliation"),
]
