from django.urls import path

from costs.explorer import views, views_exports, views_reconciliation, views_saved

urlpatterns = [
    path("", views.home, name="home"),
    path("costs/", views.costs, name="costs"),
    path("costs/export.csv", views.costs_csv, name="costs_csv"),
    path("costs/line-items/", views.drilldown, name="costs_drilldown"),
    path("costs/reconciliation/", views_reconciliation.reconciliation, name="costs_reconciliation"),
    path("costs/exports/", views_exports.exports, name="explorer_exports"),
    path("costs/exports/<int:export_id>/status.json", views_exports.export_status, name="explorer_export_status"),
    path("costs/exports/<int:export_id>/download", views_exports.export_download, name="explorer_export_download"),
    path("costs/views/", views_saved.saved_views, name="saved_views"),
    path("costs/views/save/", views_saved.saved_view_save, name="saved_view_save"),
    path("costs/views/<int:view_id>/", views_saved.saved_view_open, name="saved_view_open"),
    path("costs/views/<int:view_id>/rename/", views_saved.saved_view_rename_page, name="saved_view_rename"),
    path("costs/views/<int:view_id>/delete/", views_saved.saved_view_delete_page, name="saved_view_delete"),
]
