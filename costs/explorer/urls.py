from django.urls import path

from costs.explorer import views, views_exports, views_reconciliation

urlpatterns = [
    path("", views.home, name="home"),
    path("costs/", views.costs, name="costs"),
    path("costs/export.csv", views.costs_csv, name="costs_csv"),
    path("costs/line-items/", views.drilldown, name="costs_drilldown"),
    path("costs/reconciliation/", views_reconciliation.reconciliation, name="costs_reconciliation"),
    path("costs/exports/", views_exports.exports, name="explorer_exports"),
    path("costs/exports/<int:export_id>/status.json", views_exports.export_status, name="explorer_export_status"),
    path("costs/exports/<int:export_id>/download", views_exports.export_download, name="explorer_export_download"),
]
