"""Scoped lookups: every object reached from a request id goes through here, and outsiders get 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from tenants.models import Invitation, Membership, Organization, Role


def membership_for(user: Any, organization: Organization) -> Membership | None:
    if not getattr(user, "is_authenticated", False) or organization.is_public:
        return None
    return Membership.objects.filter(user=user, organization=organization).select_related("organization").first()


def request_membership(request: HttpRequest) -> Membership:
    """The signed-in user's membership in the organization of this host; 404 for outsiders."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("No such page")
    return membership


def require_manager(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Owners and admins only; other members get 403 (they can see the organization exists)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request_membership(request).can_manage:
            raise PermissionDenied("Only owners and admins can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def require_owner(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request_membership(request).role != Role.OWNER:
            raise PermissionDenied("Only owners can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def organization_memberships(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def membership_get(request: HttpRequest, membership_id: int) -> Membership:
    organization = request_membership(request).organization
    return get_object_or_404(organization_memberships(organization), pk=membership_id)


def invitation_get(request: HttpRequest, invitation_id: int) -> Invitation:
    organization = request_membership(request).organization
    return get_object_or_404(Invitation.objects.filter(organization=organization), pk=invitation_id)


def user_organizations(user: Any) -> QuerySet[Organization]:
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")
