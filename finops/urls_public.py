"""URLs of the public site (http://localhost:8000/): landing, sign-up, sign-in."""

from django.urls import include, path

from tenants import views_public

urlpatterns = [
    path("", views_public.landing, name="landing"),
    path("signup/", views_public.signup, name="signup"),
    path("signup/sent/", views_public.signup_sent, name="signup_sent"),
    path("signup/confirm/<str:token>/", views_public.signup_finish, name="signup_finish"),
    path("organizations/", views_public.my_organizations, name="my_organizations"),
    path("go/<slug:slug>/", views_public.go_to_organization, name="go_to_organization"),
    path("accounts/", include("allauth.urls")),
    path("", include("costs.urls_public")),
]
