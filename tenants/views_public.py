"""Views of the public site: landing, organization sign-up, the list of one's organizations."""

from __future__ import annotations

from typing import cast

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from tenants.access import user_organizations
from tenants.forms import NewOrganizationForm, SignupForm
from tenants.services.handoff import handoff_url_create
from tenants.services.provisioning import organization_create
from tenants.services.users import user_create

BACKEND = "django.contrib.auth.backends.ModelBackend"


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/landing.html", {"organizations": user_organizations(request.user)})


def signup(request: HttpRequest) -> HttpResponse:
    """Create an organization (and, for a new visitor, its owner's account), then go to it."""
    signed_in = request.user.is_authenticated
    form_class = NewOrganizationForm if signed_in else SignupForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if signed_in:
                    user = cast(User, request.user)
                else:
                    user = user_create(email=data["email"], password=data["password"], verified=False)
                organization = organization_create(name=data["organization_name"], slug=data["slug"], owner=user)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            if not signed_in:
                login(request, user, backend=BACKEND)
                _send_verification_email(request, user)
            return HttpResponseRedirect(handoff_url_create(user=user, organization=organization))
    return render(request, "public/signup.html", {"form": form, "signed_in": signed_in})


def _send_verification_email(request: HttpRequest, user: object) -> None:
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(user=user, primary=True).first()
    if address is not None:
        address.send_confirmation(request, signup=True)


@login_required
def my_organizations(request: HttpRequest) -> HttpResponse:
    return render(request, "public/organizations.html", {"organizations": user_organizations(request.user)})


@login_required
def go_to_organization(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch to one of the user's organizations, carrying the sign-in across hosts."""
    organization = user_organizations(request.user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization")
    return HttpResponseRedirect(handoff_url_create(user=cast(User, request.user), organization=organization))
