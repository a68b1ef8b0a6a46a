"""The integration API of memberships: who is in the organization, role changes, removals.

Same rules and services as the Members page (`tenants/services/members.py`): every member and
every key reads the list; owners and admins change roles and remove members; only an owner
grants or takes away the owner role or removes an owner (`role_grant_authorize`, checked again
under lock by the service); the last owner is neither demoted nor removed (400).

Writes need a signed-in person: an API key acts for nobody, and the services decide by the
acting member's role, so a key (read-write too) gets 403 on every membership write — no key can
mint an owner or an admin. Leaving the organization stays a page action.
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from finops.api import OrganizationAccess, OrganizationViewSet
from tenants.models import MANAGER_ROLES, Membership, Role
from tenants.serializers import MembershipRoleSerializer, MembershipSerializer
from tenants.services import members as member_services

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The membership's id.")


class PersonWritesOnly(BasePermission):
    """Membership writes are decided by the acting member's role: an API key has none (403)."""

    message = "Memberships are changed by a signed-in owner or admin; an API key cannot change them."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or getattr(view, "api_key", None) is None


def _refused(error: member_services.MembershipError) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(error))


@extend_schema_view(
    list=extend_schema(
        summary="List members",
        description="Everyone in the organization with their role (owner, admin, member, viewer), oldest first.",
    ),
    retrieve=extend_schema(summary="A member", description="One membership.", parameters=[ID]),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = Membership.objects.select_related("user").order_by("created_at", "id")
    serializer_class = MembershipSerializer
    organization_field = "organization"
    permission_classes = [OrganizationAccess, PersonWritesOnly]
    session_write_roles = MANAGER_ROLES  # as on the Members page

    @extend_schema(
        summary="Change a member's role",
        description="Owners and admins, signed in (an API key gets 403). Only an owner grants or takes away the "
        "owner role (403 otherwise); the last owner cannot be demoted (400).",
        parameters=[ID],
        request=MembershipRoleSerializer,
        responses={200: MembershipSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = cast(Membership, self.get_object())
        acting = cast(Membership, self.membership)
        data = MembershipRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role = data.validated_data["role"]
        try:
            member_services.role_grant_authorize(acting_role=acting.role, current_role=target.role, new_role=role)
        except member_services.MembershipError as error:
            raise _refused(error) from None
        try:
            changed = member_services.membership_change_role(membership=target, role=role, acting=acting)
        except member_services.MembershipError as error:
            raise exceptions.ValidationError({"role": [str(error)]}) from None
        return Response(MembershipSerializer(changed).data)

    @extend_schema(
        summary="Remove a member",
        description="Owners and admins, signed in (an API key gets 403). Only an owner removes an owner (403 "
        "otherwise); the last owner cannot be removed (400). Leaving the organization is done on the Members page.",
        parameters=[ID],
        responses={204: None},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = cast(Membership, self.get_object())
        acting = cast(Membership, self.membership)
        if target.role == Role.OWNER and acting.role != Role.OWNER:
            raise exceptions.PermissionDenied("Only an owner can remove an owner.")
        try:
            member_services.membership_remove(membership=target, acting=acting)
        except member_services.MembershipError as error:
            raise exceptions.ValidationError(str(error)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
