from django.urls import path

from recommendations import views

urlpatterns = [
    path("recommendations/", views.recommendations, name="recommendations"),
    path("recommendations/run/", views.recommendations_run_now, name="recommendations_run_now"),
    path("recommendations/ai-logs/", views.ai_logs, name="recommendations_ai_logs"),
    path("recommendations/<int:recommendation_id>/", views.recommendation_detail, name="recommendation_detail"),
    path("recommendations/<int:recommendation_id>/status/", views.recommendation_status, name="recommendation_status"),
]
