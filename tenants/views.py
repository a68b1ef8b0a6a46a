"""Views of an organization's site: members, invitations, settings, API keys, hand-off."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from finops.account_guards import Limit, client_address, limit_consume, limit_reached
from tenants.access import (
    api_key_get,
    invitation_get,
    membership_get,
    organization_api_keys,
    organization_memberships,
    organization_page,
    request_membership,
    user_organization_handoff_url,
)
from tenants.forms import (
    AcceptInvitationNewUserForm,
    ApiKeyForm,
    DeleteOrganizationForm,
    InviteForm,
    OrganizationSettingsForm,
    RoleForm,
)
from tenants.models import Invitation, Role, organization_url, public_url
from tenants.services import api_keys as api_key_services
from tenants.services import members as member_services
from tenants.services.handoff import handoff_redeem
from tenants.services.provisioning import organization_delete

BACKEND = "django.contrib.auth.backends.ModelBackend"


def handoff(request: HttpRequest) -> HttpResponse:
    user = handoff_redeem(token=request.GET.get("token", ""), organization=request.tenant)  # type: ignore[attr-defined]
    if user is None:
        messages.error(request, "That sign-in link has expired or was already used. Please sign in.")
        return redirect("account_login")
    login(request, cast(User, user), backend=BACKEND)
    return redirect("home")


@organization_page
def switch_organization(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponseRedirect(user_organization_handoff_url(request, slug))


@organization_page
def members(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    organization = membership.organization
    context = {
        "memberships": organization_memberships(organization),
        "invitations": Invitation.objects.filter(organization=organization, accepted_at=None, revoked_at=None),
        "invite_form": InviteForm(),
        "role_choices": Role.choices,
    }
    return render(request, "tenants/members.html", context)


@organization_page(manager=True)
@require_POST
def invite_member(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()))
        return redirect("members")
    try:
        member_services.invitation_create(
            organization=membership.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=cast(User, request.user),
        )
    except member_services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect("members")


@organization_page(manager=True)
@require_POST
def change_member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    target = membership_get(request, membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            member_services.membership_change_role(
                membership=target, role=form.cleaned_data["role"], acting=request_membership(request)
            )
        except member_services.MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{target.user.email} is now {target.get_role_display().lower()}.")
    return redirect("members")


@organization_page
@require_POST
def remove_member(request: HttpRequest, membership_id: int) -> HttpResponse:
    target = membership_get(request, membership_id)
    acting = request_membership(request)
    leaving = target.pk == acting.pk  # compared before delete() clears the pk
    try:
        member_services.membership_remove(membership=target, acting=acting)
    except member_services.MembershipError as error:
        messages.error(request, str(error))
        return redirect("members")
    if leaving:
        return HttpResponseRedirect(public_url("/"))
    messages.success(request, f"{target.user.email} was removed.")
    return redirect("members")


@organization_page(manager=True)
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitation_get(request, invitation_id)
    member_services.invitation_revoke(invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("members")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join through an invitation link: sign in (or create an account) as the invited address."""
    organization = request.tenant  # type: ignore[attr-defined]
    # Unknown tokens are counted per client address in the global counters: a guesser gains
    # nothing by moving to another organization's host.
    failures = Limit.parse("invitation_token_failures", settings.INVITATION_TOKEN_FAILURES_PER_ADDRESS)
    address = client_address(request)
    if limit_reached(failures, address):
        return render(request, "429.html", status=429)
    try:
        invitation = member_services.invitation_for_token(organization=organization, token=token)
    except member_services.InvitationInvalid as error:
        if isinstance(error, member_services.InvitationUnknown):
            limit_consume(failures, address)
        return render(request, "tenants/invitation_invalid.html", {"reason": str(error)}, status=410)

    user_model = get_user_model()
    existing = user_model.objects.filter(email__iexact=invitation.email).first()
    context: dict[str, object] = {"invitation": invitation, "existing_user": existing is not None}

    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email:  # type: ignore[union-attr]
            reason = f"This invitation is for {invitation.email}, but you are signed in as {request.user.email}."  # type: ignore[union-attr]
            return render(request, "tenants/invitation_invalid.html", {"reason": reason}, status=403)
        if request.method == "POST":
            return _accept(request, token, cast(User, request.user))
        return render(request, "tenants/invitation_accept.html", context)

    if existing is not None:
        # They have an account: sign in on this host, then come back here to accept.
        return redirect(f"/accounts/login/?next=/invitations/{token}/")

    form = AcceptInvitationNewUserForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = member_services.invitation_accept_new_user(
                organization=organization, token=token, password=form.cleaned_data["password"]
            )
        except member_services.InvitationInvalid as error:
            return render(request, "tenants/invitation_invalid.html", {"reason": str(error)}, status=410)
        login(request, membership.user, backend=BACKEND)
        messages.success(request, f"Welcome to {organization.name}.")
        return redirect("home")
    context["form"] = form
    return render(request, "tenants/invitation_accept.html", context)


def _accept(request: HttpRequest, token: str, user: User) -> HttpResponse:
    try:
        member_services.invitation_accept(organization=request.tenant, token=token, user=user)  # type: ignore[attr-defined]
    except member_services.InvitationInvalid as error:
        return render(request, "tenants/invitation_invalid.html", {"reason": str(error)}, status=410)
    messages.success(request, f"Welcome to {request.tenant.name}.")  # type: ignore[attr-defined]
    return redirect("home")


@organization_page(manager=True)
def api_keys(request: HttpRequest) -> HttpResponse:
    """The organization's API keys: create (the secret is shown on this response only), list, revoke."""
    membership = request_membership(request)
    organization = membership.organization
    form = ApiKeyForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = api_key_services.api_key_create(
                organization=organization,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                created_by=cast(User, request.user),
            )
            form = ApiKeyForm()
        else:
            status = 400
    context = {
        "form": form,
        "created": created,
        "keys": organization_api_keys(organization),
        "api_url": organization_url(organization.slug, "/api/v1/"),
        "docs_url": organization_url(organization.slug, "/api/v1/docs/"),
    }
    response = render(request, "tenants/api_keys.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret
    return response


@organization_page(manager=True)
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = api_key_get(request, key_id)
    if api_key_services.api_key_revoke(key=key):
        messages.success(request, f"Key {key.prefix} ({key.name}) revoked: it stops working now.")
    return redirect("api_keys")


@organization_page(manager=True)
def organization_settings(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    organization = membership.organization
    form = OrganizationSettingsForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("organization_settings")
    return render(
        request,
        "tenants/settings.html",
        {"form": form, "delete_form": DeleteOrganizationForm(organization=organization)},
    )


@organization_page(owner=True)
@require_POST
def delete_organization(request: HttpRequest) -> HttpResponse:
    organization = request_membership(request).organization
    form = DeleteOrganizationForm(request.POST, organization=organization)
    if not form.is_valid():
        return render(
            request,
            "tenants/settings.html",
            {"form": OrganizationSettingsForm(instance=organization), "delete_form": form},
            status=400,
        )
    organization_delete(organization=organization)
    return HttpResponseRedirect(public_url("/"))
