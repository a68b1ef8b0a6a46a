"""The tenant-scoped API base: every lookup is confined to the host's organization; strangers get 404.

The viewsets here exist only for these tests (kept apart from the real API's routes): one over
a tenant-schema model (cost sources), one over a shared-schema model (invitations). This module
is also their URLconf (with the real organization pages), put in place with the `settings` fixture.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.urls import include, path
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIRequestFactory, force_authenticate

from costs.models import CostSource, SourceKind
from finops import urls_tenants
from finops.api import OrganizationViewSet
from tenants.models import Invitation


class SourceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = CostSource
        fields = ["id", "name"]


class InvitationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Invitation
        fields = ["id", "email"]


class SourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = CostSource.objects.all()
    serializer_class = SourceSerializer

    def scoped_queryset(self, queryset: Any) -> Any:
        return queryset.order_by("name")


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    organization_field = "organization"


router = SimpleRouter()
router.register("sources", SourceViewSet, basename="test-source")
router.register("invitations", InvitationViewSet, basename="test-invitation")
# The organizations' real pages too: error pages and the layout reverse their names.
urlpatterns = [path("api/test/", include(router.urls)), *urls_tenants.urlpatterns]


@pytest.fixture
def api(settings: Any, org_a: Any, org_b: Any) -> Any:
    """org_a and org_b with a cost source and an invitation each; this module as the organizations' URLconf."""
    settings.ROOT_URLCONF = __name__
    made = {}
    for world in (org_a, org_b):
        with schema_context(world.organization.schema_name):
            source = CostSource.objects.create(name=f"{world.organization.slug} exports", kind=SourceKind.AWS_S3)
        invitation = Invitation.objects.create(
            organization=world.organization,
            email=f"new@{world.organization.slug}.test",
            token_hash=uuid.uuid4().hex,
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        made[world.organization.slug] = (source, invitation)
    return made


def test_a_member_lists_and_reads_only_their_organizations_objects(api: Any, org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.viewer, org_a)
    source, invitation = api["acme"]
    assert client.get("/api/test/sources/").json()["results"] == [{"id": source.pk, "name": "acme exports"}]
    assert client.get(f"/api/test/sources/{source.pk}/").json()["name"] == "acme exports"
    assert client.get("/api/test/invitations/").json()["results"] == [{"id": invitation.pk, "email": "new@acme.test"}]
    assert client.get(f"/api/test/invitations/{invitation.pk}/").status_code == 200


def test_another_organizations_ids_are_404_for_a_member(api: Any, org_a: Any, org_b: Any, client_for: Any) -> None:
    client = client_for(org_a.owner, org_a)
    globex_invitation = api["globex"][1]
    assert client.get(f"/api/test/invitations/{globex_invitation.pk}/").status_code == 404
    # Each schema numbers its own sources, so probe an id that only globex's schema has.
    with schema_context(org_b.organization.schema_name):
        extra = CostSource.objects.create(name="globex only", kind=SourceKind.UPLOAD)
    with schema_context(org_a.organization.schema_name):
        assert not CostSource.objects.filter(pk=extra.pk).exists()  # the id exists in globex's schema only
    assert client.get(f"/api/test/sources/{extra.pk}/").status_code == 404


def test_a_stranger_gets_404_on_list_and_detail_through_the_whole_stack(
    api: Any, org_a: Any, org_b: Any, client_for: Any
) -> None:
    stranger = client_for(org_b.owner, org_a)
    source, invitation = api["acme"]
    for url in (
        "/api/test/sources/",
        f"/api/test/sources/{source.pk}/",
        "/api/test/invitations/",
        f"/api/test/invitations/{invitation.pk}/",
    ):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert b"acme" not in response.content


def _call(viewset: Any, action: str, *, user: Any, world: Any, **kwargs: Any) -> Any:
    """Call a viewset directly, without the membership middleware: the base must hold on its own."""
    view = viewset.as_view({"get": action})
    request = APIRequestFactory().get("/api/test/")
    request.tenant = world.organization  # type: ignore[attr-defined]  # what django-tenants' middleware sets
    if user is not None:
        force_authenticate(request, user=user)
    with tenant_context(world.organization):
        response = view(request, **kwargs)
        response.render()
    return response


def test_without_the_middleware_the_base_itself_turns_a_stranger_away_with_404(
    api: Any, org_a: Any, org_b: Any
) -> None:
    source, invitation = api["acme"]
    for viewset, pk in ((SourceViewSet, source.pk), (InvitationViewSet, invitation.pk)):
        assert _call(viewset, "list", user=org_b.owner, world=org_a).status_code == 404
        assert _call(viewset, "retrieve", user=org_b.owner, world=org_a, pk=pk).status_code == 404
        assert _call(viewset, "list", user=org_a.viewer, world=org_a).status_code == 200


def test_an_anonymous_caller_is_refused_with_401(api: Any, org_a: Any) -> None:
    response = _call(SourceViewSet, "list", user=None, world=org_a)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_connection_on_another_organizations_schema_fails_closed(api: Any, org_a: Any, org_b: Any) -> None:
    view = SourceViewSet.as_view({"get": "list"})
    request = APIRequestFactory().get("/api/test/")
    request.tenant = org_a.organization  # type: ignore[attr-defined]
    force_authenticate(request, user=org_a.owner)
    with tenant_context(org_b.organization):  # a bug elsewhere left the connection on globex's schema
        response = view(request)
    assert response.status_code == 404


def test_a_subclass_that_overrides_get_queryset_fails_at_class_creation() -> None:
    with pytest.raises(TypeError, match=r"overrides get_queryset\(\).*dangerously_get_queryset"):

        class Leaky(OrganizationViewSet):
            queryset = CostSource.objects.all()

            def get_queryset(self) -> Any:
                return CostSource.objects.all()


def test_overriding_get_object_or_slipping_get_queryset_in_through_a_mixin_fails_too() -> None:
    with pytest.raises(TypeError, match=r"overrides get_object\(\)"):

        class LeakyObject(OrganizationViewSet):
            def get_object(self) -> Any:
                return None

    class Mixin:
        def get_queryset(self) -> Any:
            return CostSource.objects.all()

    with pytest.raises(TypeError, match=r"overrides get_queryset\(\)"):

        class LeakyMixin(Mixin, OrganizationViewSet):  # type: ignore[misc]
            pass


def test_a_shared_schema_model_without_organization_field_fails_at_class_creation() -> None:
    with pytest.raises(TypeError, match=r"Invitation lives in the shared schema"):

        class Unscoped(OrganizationViewSet):
            queryset = Invitation.objects.all()


def test_a_deliberate_bypass_is_named_dangerously(api: Any, org_a: Any) -> None:
    class EverySchemaHasOne(mixins.ListModelMixin, OrganizationViewSet):
        serializer_class = InvitationSerializer
        queryset = Invitation.objects.all()
        organization_field = "organization"

        def dangerously_get_queryset(self) -> Any:
            return Invitation.objects.all()

    listed = _call(EverySchemaHasOne, "list", user=org_a.owner, world=org_a).data["results"]
    assert {row["email"] for row in listed} == {"new@acme.test", "new@globex.test"}
