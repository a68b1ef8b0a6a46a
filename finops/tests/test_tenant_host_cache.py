"""The host → organization cache: no database round trip per request once warm, forgotten on change."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from finops.middleware import tenant_host_cache_clear
from tenants.models import Domain


def _domain_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 401
    return sum('"tenants_domain"' in query["sql"] for query in captured.captured_queries)


def test_a_cached_host_costs_no_query_and_a_changed_domain_is_looked_up_again(
    org_a: Any, org_b: Any, settings: Any
) -> None:
    settings.TENANT_CACHE_SECONDS = 60
    tenant_host_cache_clear()
    client = Client(HTTP_HOST=org_a.host)
    assert _domain_queries(client, "/api/v1/sources") == 1
    assert _domain_queries(client, "/api/v1/sources") == 0
    # Each organization's host is its own entry, and never answers for another.
    other = Client(HTTP_HOST=org_b.host)
    assert _domain_queries(other, "/api/v1/sources") == 1
    domain = Domain.objects.get(domain=org_a.host)
    domain.save()  # any change of a domain or an organization forgets the cached hosts
    assert _domain_queries(client, "/api/v1/sources") == 1
    domain.delete()
    assert client.get("/api/v1/sources").status_code == 404  # the host no longer exists
    tenant_host_cache_clear()


def test_without_the_cache_every_request_looks_the_host_up(org_a: Any, settings: Any) -> None:
    settings.TENANT_CACHE_SECONDS = 0
    client = Client(HTTP_HOST=org_a.host)
    assert _domain_queries(client, "/api/v1/sources") == 1
    assert _domain_queries(client, "/api/v1/sources") == 1
