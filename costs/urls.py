from django.urls import path

from costs import views

urlpatterns = [
    path("cloud-accounts/", views.accounts, name="cost_accounts"),
    path("cloud-accounts/add/", views.source_add, name="cost_source_add"),
    path("cloud-accounts/cloudformation.json", views.cloudformation_template, name="cost_cloudformation"),
    path("cloud-accounts/upload/", views.upload, name="cost_upload"),
    path("cloud-accounts/upload/complete/", views.upload_direct_complete, name="cost_upload_complete"),
    path("cloud-accounts/sources/<int:source_id>/", views.source_detail, name="cost_source"),
    path("cloud-accounts/sources/<int:source_id>/edit/", views.source_edit, name="cost_source_edit"),
    path("cloud-accounts/sources/<int:source_id>/test/", views.source_test, name="cost_source_test"),
    path("cloud-accounts/sources/<int:source_id>/check/", views.source_check_now, name="cost_source_check"),
    path("cloud-accounts/jobs/<int:job_id>/", views.job_detail, name="cost_job"),
    path("cloud-accounts/jobs/<int:job_id>/progress.json", views.job_progress, name="cost_job_progress"),
]
