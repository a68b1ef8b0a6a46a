"""The tenant-scoped base of the API: every viewset is an `OrganizationViewSet`.

Its `get_queryset` and `get_object` confine every lookup to the organization of the request's
host, and subclasses cannot override them by accident: `__init_subclass__` raises TypeError
when a class (or a mixin before the base) brings its own. Subclasses narrow the scoped
queryset in `scoped_queryset()`. A deliberate bypass must be spelled `dangerously_get_queryset`
or `dangerously_get_object`, so it stands out in review (PostHog's rule).

Tenant-schema models are confined by the schema the connection is on, which is checked to be
the host's organization; shared-schema models are filtered by `organization_field`, which such
a viewset must name. Signed-in users who are not members of the host's organization get 404
on everything, as if nothing were there.

Authentication is the session for now; per-organization API keys and throttles come with the
integration API.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Model, QuerySet
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.viewsets import GenericViewSet

from tenants.access import is_tenant_model, membership_for, organization_scope
from tenants.models import Membership

# Methods whose override would skip the organization scope.
SCOPING_METHODS = ("get_queryset", "get_object")


class IsOrganizationMember(BasePermission):
    """Signed-in members of the host's organization; signed-in strangers get 404, anonymous callers 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        organization = getattr(request, "tenant", None)
        membership = membership_for(user, organization) if organization is not None else None
        if membership is None:
            raise NotFound()
        view.membership = membership
        return True


class OrganizationViewSet(GenericViewSet):  # type: ignore[type-arg]
    """A viewset whose every lookup is confined to the request's organization (see the module docstring)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsOrganizationMember]
    # Shared-schema models only: the lookup from the model to its Organization ("organization").
    organization_field: str | None = None
    membership: Membership | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in SCOPING_METHODS:
            if getattr(cls, name) is not getattr(OrganizationViewSet, name):
                raise TypeError(
                    f"{cls.__qualname__} overrides {name}(), which would skip the organization scope; "
                    f"narrow the queryset in scoped_queryset(), or name a deliberate bypass dangerously_{name}()"
                )
        queryset = getattr(cls, "queryset", None)
        if queryset is not None and apps.ready and not is_tenant_model(queryset.model) and not cls.organization_field:
            raise TypeError(
                f"{cls.__qualname__}: {queryset.model.__name__} lives in the shared schema; "
                "set organization_field to the lookup that names its organization"
            )

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Hook: narrow (filter, annotate, select_related) the already scoped queryset."""
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        bypass = getattr(self, "dangerously_get_queryset", None)
        if bypass is not None:
            return bypass()  # type: ignore[no-any-return]
        queryset = super().get_queryset()
        if self.membership is None:
            # Outside a request that passed the permission check (e.g. schema generation): nothing.
            return queryset.none()
        scoped = organization_scope(
            queryset, organization=self.membership.organization, organization_field=self.organization_field
        )
        return self.scoped_queryset(scoped)

    def get_object(self) -> Model:
        bypass = getattr(self, "dangerously_get_object", None)
        if bypass is not None:
            return bypass()  # type: ignore[no-any-return]
        return super().get_object()  # type: ignore[no-any-return]
