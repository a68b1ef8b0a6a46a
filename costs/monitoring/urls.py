from django.urls import path

from costs.monitoring import views

urlpatterns = [
    path("anomalies/", views.anomalies, name="anomalies"),
    path("anomalies/<int:anomaly_id>/", views.anomaly_detail, name="anomaly_detail"),
    path("anomalies/<int:anomaly_id>/feedback/", views.anomaly_feedback, name="anomaly_feedback"),
    path("anomalies/monitors/", views.monitors, name="monitoring_monitors"),
    path("anomalies/monitors/<int:monitor_id>/mute/", views.monitor_mute, name="monitoring_monitor_mute"),
    path("anomalies/run/", views.run_now, name="monitoring_run"),
    path("anomalies/budgets/", views.budgets, name="monitoring_budgets"),
    path("anomalies/budgets/<int:budget_id>/delete/", views.budget_delete, name="monitoring_budget_delete"),
    path("anomalies/subscriptions/", views.subscriptions, name="monitoring_subscriptions"),
    path(
        "anomalies/subscriptions/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="monitoring_subscription_delete",
    ),
]
