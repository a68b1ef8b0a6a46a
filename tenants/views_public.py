"""Views of the public site: landing, organization sign-up, the list of one's organizations."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from finops.account_guards import Limit, client_address, limit_consume, limit_reached
from tenants.access import user_organization_handoff_url, user_organizations
from tenants.forms import NewOrganizationForm, SignupForm
from tenants.services.handoff import handoff_url_create
from tenants.services.provisioning import organization_create
from tenants.services.signup import SignupInvalid, signup_confirm, signup_request_create, signup_request_for_token

BACKEND = "django.contrib.auth.backends.ModelBackend"


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/landing.html", {"organizations": user_organizations(request.user)})


def signup(request: HttpRequest) -> HttpResponse:
    """Create an organization: a visitor gets an email link (the page never says whether the
    address has an account); a signed-in user gets the organization at once."""
    signed_in = request.user.is_authenticated
    form_class = NewOrganizationForm if signed_in else SignupForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = _signup_throttle_refusal(request)
        if refusal is not None:
            form.add_error(None, refusal)
            return render(request, "public/signup.html", {"form": form, "signed_in": signed_in}, status=429)
        data = form.cleaned_data
        if not signed_in:
            signup_request_create(
                email=data["email"],
                organization_name=data["organization_name"],
                slug=data["slug"],
                password=data["password"],
            )
            return redirect("signup_sent")
        user = cast(User, request.user)
        try:
            organization = organization_create(name=data["organization_name"], slug=data["slug"], owner=user)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            return HttpResponseRedirect(handoff_url_create(user=user, organization=organization))
    return render(request, "public/signup.html", {"form": form, "signed_in": signed_in})


def _signup_throttle_refusal(request: HttpRequest) -> str | None:
    """Why this sign-up is refused for now (per client address, then for everyone), or None. Counts it."""
    if not limit_consume(Limit.parse("signup_address", settings.SIGNUP_RATE_PER_ADDRESS), client_address(request)):
        return "Too many sign-ups from your network. Please try again in an hour."
    if not limit_consume(Limit.parse("signup_global", settings.SIGNUP_RATE_GLOBAL), "everyone"):
        return "Sign-up is very busy right now. Please try again in a few minutes."
    return None


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "public/signup_sent.html", {"hours": settings.SIGNUP_LINK_MAX_AGE_SECONDS // 3600})


def signup_finish(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows what will be created (mail scanners only GET), POST creates it."""
    failures = Limit.parse("signup_token_failures", settings.INVITATION_TOKEN_FAILURES_PER_ADDRESS)
    address = client_address(request)
    if limit_reached(failures, address):
        return render(request, "429.html", status=429)
    try:
        pending = signup_request_for_token(token=token)
        if request.method == "POST":
            user, organization = signup_confirm(token=token)
    except SignupInvalid as error:
        limit_consume(failures, address)
        return render(request, "public/signup_invalid.html", {"reason": str(error)}, status=410)
    if request.method != "POST":
        return render(request, "public/signup_confirm.html", {"pending": pending, "base_domain": settings.BASE_DOMAIN})
    login(request, user, backend=BACKEND)
    return HttpResponseRedirect(handoff_url_create(user=user, organization=organization))


@login_required
def my_organizations(request: HttpRequest) -> HttpResponse:
    return render(request, "public/organizations.html", {"organizations": user_organizations(request.user)})


@login_required
def go_to_organization(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch to one of the user's organizations, carrying the sign-in across hosts."""
    return HttpResponseRedirect(user_organization_handoff_url(request, slug))
