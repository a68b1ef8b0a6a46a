from django.urls import path

from costs.monitoring import views

urlpatterns = [
    path("anomalies/", views.anomalies, name="anomalies"),
]
