from django.urls import path

from recommendations import views

urlpatterns = [
    path("recommendations/", views.recommendations, name="recommendations"),
]
