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

Who may call: an API key of the host's organization (`Authorization: Bearer fo_…`; a key of
another organization, a revoked or unknown key is 401), or a member's browser session (with
CSRF on writes). Writes need a `read-write` key or a member whose role is not viewer (403).
Throttles count per key and per user (`API_THROTTLE_RATES`), answering 429 with Retry-After.
Every error has one body: `{"error": {"code", "message", "fields"}}`.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import GenericViewSet

from finops.db import current_schema
from finops.rate_limits import rate_limit_hit, rate_parse
from tenants.access import is_tenant_model, membership_for, organization_scope
from tenants.models import ApiKey, Membership, Organization, Role
from tenants.services.api_keys import api_key_resolve, api_key_touch

# Methods whose override would skip the organization scope.
SCOPING_METHODS = ("get_queryset", "get_object")
# Members whose browser session may write (a viewset narrows it with `session_write_roles`,
# e.g. MANAGER_ROLES where the page is managers-only); a key's scope decides for keys.
SESSION_WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})


class ApiKeyPrincipal:
    """`request.user` for a call made with an API key: the key acts for its organization, not for a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>`; only keys of the host's organization authenticate."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one key: Authorization: Bearer <key>.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        key = api_key_resolve(secret=secret)
        organization = getattr(request, "tenant", None)
        # A key of another organization is refused like an unknown one: its data is never reached.
        if key is None or organization is None or key.organization_id != organization.pk:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        key.organization = organization  # the same row: no query when something reads it
        api_key_touch(key=key)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "finops.api.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of the organization (API keys page): `Authorization: Bearer fo_…`.",
        }


class OrganizationAccess(BasePermission):
    """Keys of the host's organization and its members; strangers 404, anonymous 401, read-only writers 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        organization = getattr(request, "tenant", None)
        if organization is None or organization.is_public:
            raise NotFound()
        if isinstance(request.auth, ApiKey):
            key = request.auth
            if key.organization_id != organization.pk:  # authentication already refused it; fail closed
                raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
            view.organization = organization
            view.api_key = key
            can_write = key.can_write
            refusal = "This API key is read-only."
        else:
            user = request.user
            if user is None or not user.is_authenticated:
                return False
            membership = membership_for(user, organization)
            if membership is None:
                raise NotFound()
            view.membership = membership
            view.organization = membership.organization
            write_roles = getattr(view, "session_write_roles", SESSION_WRITE_ROLES)
            can_write = membership.role in write_roles
            refusal = (
                "Your role cannot do this." if membership.role != Role.VIEWER else "Viewers cannot change anything."
            )
        if request.method not in SAFE_METHODS and not can_write:
            raise exceptions.PermissionDenied(refusal)
        return True


# The former name, kept for readers of older code.
IsOrganizationMember = OrganizationAccess


class _ApiRateThrottle(BaseThrottle):
    """Rates come from settings.API_THROTTLE_RATES at call time (tests and the bench change them);
    counted by finops.rate_limits (one Redis round trip per call)."""

    scope = ""
    _wait: int | None = None

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = settings.API_THROTTLE_RATES.get(self.scope)
        ident = self.ident(request)
        if rate is None or ident is None:
            return True
        limit, period = rate_parse(rate)
        decision = rate_limit_hit(name=f"{self.scope}:{ident}", limit=limit, period=period)
        self._wait = decision.retry_after
        return decision.allowed

    def wait(self) -> int | None:
        return self._wait


class ApiKeyRateThrottle(_ApiRateThrottle):
    scope = "api_key"

    def ident(self, request: Request) -> str | None:
        # The prefix, not the row id: ids come again in a new database, prefixes do not.
        return request.auth.prefix if isinstance(request.auth, ApiKey) else None


class ApiUserRateThrottle(_ApiRateThrottle):
    scope = "api_user"

    def ident(self, request: Request) -> str | None:
        if isinstance(request.auth, ApiKey) or not getattr(request.user, "is_authenticated", False):
            return None
        return str(request.user.pk)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After, WWW-Authenticate), with one body: {"error": {code, message, fields}}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    fields: dict[str, Any] | None = None
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", "Invalid input."
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {
                name: [str(item) for item in (value if isinstance(value, list) else [value])]
                for name, value in detail.items()
            }
            non_field = fields.pop("non_field_errors", None)
            if non_field:
                message = " ".join(non_field)
        else:
            items = detail if isinstance(detail, list) else [detail]
            message = " ".join(str(item) for item in items)
    elif isinstance(exc, exceptions.APIException):
        code = getattr(exc.detail, "code", None) or exc.default_code
        message = str(exc.detail)
    else:
        code, message = "error", str(response.data)
    response.data = {"error": {"code": str(code), "message": message, "fields": fields or {}}}
    return response


class ListPagination(LimitOffsetPagination):
    """Lists answer {count, next, previous, results}; `limit` (default 50, at most 500) and `offset`."""

    default_limit = 50
    max_limit = 500


class OrganizationViewSet(GenericViewSet):  # type: ignore[type-arg]
    """A viewset whose every lookup is confined to the request's organization (see the module docstring)."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [OrganizationAccess]
    throttle_classes = [ApiKeyRateThrottle, ApiUserRateThrottle]
    pagination_class: type[BasePagination] | None = ListPagination
    # Shared-schema models only: the lookup from the model to its Organization ("organization").
    organization_field: str | None = None
    # Set by OrganizationAccess: the host's organization, and who is calling.
    organization: Organization | None = None
    membership: Membership | None = None
    api_key: ApiKey | None = None
    session_write_roles: frozenset[str] = SESSION_WRITE_ROLES

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

    def organization_schema_check(self) -> Organization:
        """For views that read tenant data through selectors rather than a queryset: the connection
        must be on the host's organization's schema (anything else is a bug: fail closed with 404)."""
        if self.organization is None or current_schema() != self.organization.schema_name:
            raise NotFound()
        return self.organization

    def get_queryset(self) -> QuerySet[Any]:
        bypass = getattr(self, "dangerously_get_queryset", None)
        if bypass is not None:
            return bypass()  # type: ignore[no-any-return]
        queryset = super().get_queryset()
        if self.organization is None:
            # Outside a request that passed the permission check (e.g. schema generation): nothing.
            return queryset.none()
        scoped = organization_scope(
            queryset, organization=self.organization, organization_field=self.organization_field
        )
        return self.scoped_queryset(scoped)

    def get_object(self) -> Model:
        bypass = getattr(self, "dangerously_get_object", None)
        if bypass is not None:
            return bypass()  # type: ignore[no-any-return]
        return super().get_object()  # type: ignore[no-any-return]
