"""The API's shapes of memberships (who is in the organization, with which role)."""

from __future__ import annotations

from rest_framework import serializers

from tenants.models import Membership, Role


class MembershipSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    email = serializers.EmailField(source="user.email", read_only=True, help_text="The member's sign-in address.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "joined_at"]
        read_only_fields = fields


class MembershipRoleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    role = serializers.ChoiceField(
        choices=Role.choices, help_text="The new role. Only an owner grants or takes away the owner role."
    )
