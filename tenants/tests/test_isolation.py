"""Every page of an organization's host: strangers get 404, anonymous visitors are sent to sign in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from finops.api import OrganizationViewSet
from tenants.middleware import ANONYMOUS_PREFIXES, NON_MEMBER_PREFIXES

PLACEHOLDERS = {"int": "1", "slug": "acme", "str": "x", "uuid": "00000000-0000-0000-0000-000000000000", "path": "x"}


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            paths += _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            if route.startswith("^"):
                continue  # regex routes (allauth's few) are covered by their prefixes
            paths.append(prefix + route)
    return paths


def tenant_paths() -> list[str]:
    """Every route of the tenant URLconf, with sample values for its parameters."""
    resolved = []
    for route in _walk(get_resolver("finops.urls_tenants").url_patterns):
        path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: PLACEHOLDERS.get(m.group(1) or "str", "x"), route)
        resolved.append(path)
    return sorted(set(resolved))


PATHS = tenant_paths()
MEMBER_ONLY = [p for p in PATHS if not p.startswith(ANONYMOUS_PREFIXES)]
CLOSED_TO_NON_MEMBERS = [p for p in PATHS if not p.startswith(NON_MEMBER_PREFIXES)]


def test_the_route_list_covers_the_organization_pages() -> None:
    for expected in ("/", "/members/", "/settings/", "/costs/", "/recommendations/", "/api-keys/"):
        assert expected in PATHS


@pytest.mark.parametrize("path", CLOSED_TO_NON_MEMBERS)
def test_a_user_of_another_organization_gets_404_everywhere(
    path: str, shared_worlds: Any, db: Any, client_for: Any
) -> None:
    org_a, org_b = shared_worlds
    stranger = client_for(org_b.owner, org_a)
    assert stranger.get(path).status_code == 404
    assert stranger.post(path).status_code == 404


@pytest.mark.parametrize("path", MEMBER_ONLY)
def test_an_anonymous_visitor_is_sent_to_sign_in(path: str, shared_worlds: Any, db: Any, client_for: Any) -> None:
    org_a, _ = shared_worlds
    response = client_for(None, org_a).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_unknown_subdomain_is_404(db: Any) -> None:
    from django.test import Client

    assert Client(HTTP_HOST="nobody.localhost").get("/").status_code == 404


def test_an_unknown_page_and_a_strangers_page_look_the_same(org_a: Any, org_b: Any, client_for: Any) -> None:
    member_missing = client_for(org_a.owner, org_a).get("/no-such-page/")
    stranger = client_for(org_b.owner, org_a).get("/members/")
    assert member_missing.status_code == stranger.status_code == 404
    assert member_missing.templates[0].name == stranger.templates[0].name == "404.html"


def test_a_member_cannot_reach_another_organizations_membership_by_id(org_a: Any, org_b: Any, client_for: Any) -> None:
    from tenants.models import Membership

    victim = Membership.objects.get(organization=org_b.organization, user=org_b.viewer)
    client = client_for(org_a.owner, org_a)
    assert client.post(f"/members/{victim.pk}/remove/").status_code == 404
    assert client.post(f"/members/{victim.pk}/role/", {"role": "owner"}).status_code == 404
    victim.refresh_from_db()
    assert victim.role == "viewer"


def test_members_see_their_own_organization(org_a: Any, client_for: Any) -> None:
    for user in (org_a.owner, org_a.admin, org_a.viewer):
        response = client_for(user, org_a).get("/members/")
        assert response.status_code == 200
        assert b"viewer@acme.test" in response.content
        assert b"globex" not in response.content


# Pages a signed-in non-member or an anonymous visitor must reach (getting in); allauth's own;
# the API's OpenAPI document and docs (they describe the API, no organization's data).
OPEN_VIEWS = {
    "tenants.views.handoff",
    "tenants.views.accept_invitation",
    "finops.api_urls.SchemaView",
    "finops.api_urls.SwaggerView",
    "finops.api_urls.not_found",  # the API's JSON 404 for unknown paths
}


def _views(patterns: list[Any]) -> list[Any]:
    found: list[Any] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            found.append(entry.callback)
    return found


def test_every_page_of_an_organization_host_is_an_organization_page() -> None:
    """The decorator is the scoped base of pages: a new view without it fails here."""
    unguarded = []
    for view in _views(get_resolver("finops.urls_tenants").url_patterns):
        api_class = getattr(view, "cls", None)  # DRF views name their class
        named = api_class or view
        name = f"{named.__module__}.{getattr(named, '__name__', type(named).__name__)}"
        if name in OPEN_VIEWS or view.__module__.startswith("allauth."):
            continue
        if api_class is not None and issubclass(api_class, OrganizationViewSet):
            continue  # the API's scoped base (finops/api.py)
        if not getattr(view, "organization_page", False):
            unguarded.append(name)
    assert unguarded == []
    assert len(_views(get_resolver("finops.urls_tenants").url_patterns)) > 20
