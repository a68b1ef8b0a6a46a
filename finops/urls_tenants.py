"""URLs of an organization's site (http://<slug>.localhost:8000/)."""

from django.urls import include, path

from tenants import views

urlpatterns = [
    path("auth/handoff/", views.handoff, name="handoff"),
    path("switch/<slug:slug>/", views.switch_organization, name="switch_organization"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite_member, name="invite_member"),
    path("members/<int:membership_id>/role/", views.change_member_role, name="change_member_role"),
    path("members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("settings/", views.organization_settings, name="organization_settings"),
    path("settings/delete/", views.delete_organization, name="delete_organization"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("api/v1/", include("finops.api_urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("costs.explorer.urls")),
    path("", include("costs.monitoring.urls")),
    path("", include("costs.urls")),
    path("", include("recommendations.urls")),
]
