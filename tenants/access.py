"""The tenant-scoped base of the pages: who may open a page, and every lookup by an id from the request.

Every page of an organization's host is an `@organization_page` (signed-in members of the
host's organization, 404 for anyone else; `manager=True` or `owner=True` narrow it, with 403
for other members, who can see the organization exists). Every object reached from an id
goes through `scoped_get`, which checks the membership and confines the query to the
organization, so a view cannot fetch an object without both. The API's base
(`finops.api.OrganizationViewSet`) uses the same `organization_scope`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from finops.db import current_schema
from tenants.models import ApiKey, Invitation, Membership, Organization, Role
from tenants.services.handoff import handoff_url_create

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


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


@overload
def organization_page(view: View, *, manager: bool = False, owner: bool = False) -> View: ...
@overload
def organization_page(view: None = None, *, manager: bool = False, owner: bool = False) -> Callable[[View], View]: ...
def organization_page(
    view: View | None = None, *, manager: bool = False, owner: bool = False
) -> View | Callable[[View], View]:
    """A page of an organization's host: members only (404 for anyone else).

    `manager=True`: owners and admins only; `owner=True`: owners only (403 for other members).
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = request_membership(request)
            if owner and membership.role != Role.OWNER:
                raise PermissionDenied("Only owners can do this.")
            if manager and not membership.can_manage:
                raise PermissionDenied("Only owners and admins can do this.")
            return view(request, *args, **kwargs)

        wrapper.organization_page = True  # type: ignore[attr-defined]
        return wrapper

    return decorate(view) if view is not None else decorate


def is_tenant_model(model: type[Model]) -> bool:
    """True for models stored in each organization's own schema (apps listed in TENANT_APPS only)."""
    app = model._meta.app_config.name if model._meta.app_config else ""
    return app in settings.TENANT_APPS and app not in settings.SHARED_APPS


def organization_scope(
    queryset: QuerySet[M], *, organization: Organization, organization_field: str | None = None
) -> QuerySet[M]:
    """`queryset` confined to `organization`.

    Tenant-schema models are confined by the schema, which must be the organization's own;
    shared-schema models need `organization_field`, the lookup that names their organization.
    """
    if is_tenant_model(queryset.model):
        if current_schema() != organization.schema_name:
            # The middleware put the connection on the host's schema; anything else is a bug, fail closed.
            raise Http404("No such page")
        return queryset
    if not organization_field:
        raise ImproperlyConfigured(
            f"{queryset.model.__name__} lives in the shared schema: name the field that says its organization"
        )
    return queryset.filter(**{organization_field: organization})


def scoped_get(
    request: HttpRequest, queryset: QuerySet[M], *, organization_field: str | None = None, **lookup: Any
) -> M:
    """The one object of the host's organization matching `lookup`, for its members; 404 for anyone else."""
    organization = request_membership(request).organization
    scoped = organization_scope(queryset, organization=organization, organization_field=organization_field)
    return get_object_or_404(scoped, **lookup)


def organization_memberships(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def membership_get(request: HttpRequest, membership_id: int) -> Membership:
    return scoped_get(
        request, Membership.objects.select_related("user"), organization_field="organization", pk=membership_id
    )


def invitation_get(request: HttpRequest, invitation_id: int) -> Invitation:
    return scoped_get(request, Invitation.objects.all(), organization_field="organization", pk=invitation_id)


def api_key_get(request: HttpRequest, key_id: int) -> ApiKey:
    return scoped_get(request, ApiKey.objects.all(), organization_field="organization", pk=key_id)


def organization_api_keys(organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("created_by")


def user_organizations(user: Any) -> QuerySet[Organization]:
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


def user_organization_handoff_url(request: HttpRequest, slug: str) -> str:
    """The sign-in hand-off to the signed-in user's organization `slug` (404 unless they are a member of it)."""
    organization = get_object_or_404(user_organizations(request.user), slug=slug)
    return handoff_url_create(user=cast(User, request.user), organization=organization)
