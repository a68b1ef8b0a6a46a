"""Who may call the API: keys of the host's organization, members' sessions (CSRF on writes);
errors share one body; throttles per key and per user answer 429 with Retry-After."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from costs.models import CostSource, SourceKind
from tenants.models import ApiKey, ApiKeyScope
from tenants.services.api_keys import api_key_create, api_key_revoke


def key_client(world: Any, secret: str, host: str | None = None) -> Client:
    return Client(HTTP_HOST=host or world.host, HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def sources(org_a: Any, org_b: Any) -> dict[str, CostSource]:
    made = {}
    for world in (org_a, org_b):
        with schema_context(world.organization.schema_name):
            made[world.organization.slug] = CostSource.objects.create(
                name=f"{world.organization.slug} uploads", kind=SourceKind.UPLOAD
            )
    return made


def secret_of(world: Any, scope: str = ApiKeyScope.READ) -> str:
    return api_key_create(organization=world.organization, name="test", scope=scope, created_by=None).secret


def test_a_key_reads_its_organizations_data_and_records_its_use(org_a: Any, sources: Any) -> None:
    secret = secret_of(org_a)
    response = key_client(org_a, secret).get("/api/v1/sources")
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["results"]] == ["acme uploads"]
    assert ApiKey.objects.get().last_used_at is not None


def test_a_key_on_another_organizations_host_is_401_and_reveals_nothing(org_a: Any, org_b: Any, sources: Any) -> None:
    secret = secret_of(org_a)
    response = key_client(org_b, secret).get("/api/v1/sources")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "authentication_failed"
    assert b"globex" not in response.content
    source = sources["globex"]
    assert key_client(org_b, secret).get(f"/api/v1/sources/{source.pk}").status_code == 401


def test_no_credentials_unknown_and_revoked_keys_are_401(org_a: Any, sources: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="old", scope=ApiKeyScope.READ, created_by=None)
    anonymous = Client(HTTP_HOST=org_a.host).get("/api/v1/sources")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication credentials were not provided.", "fields": {}}
    }
    assert key_client(org_a, "fo_00000000_nope").get("/api/v1/sources").status_code == 401
    api_key_revoke(key=new.key)
    assert key_client(org_a, new.secret).get("/api/v1/sources").status_code == 401


def test_another_organizations_object_is_404_for_a_key(org_a: Any, org_b: Any, sources: Any) -> None:
    secret = secret_of(org_a, ApiKeyScope.READ_WRITE)
    with schema_context(org_b.organization.schema_name):
        only_globex = CostSource.objects.create(name="globex only", kind=SourceKind.UPLOAD)
    client = key_client(org_a, secret)
    response = client.get(f"/api/v1/sources/{only_globex.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/sources/{only_globex.pk}/test-connection").status_code == 404


def test_a_read_only_key_cannot_write(org_a: Any, sources: Any) -> None:
    source = sources["acme"]
    response = key_client(org_a, secret_of(org_a)).post(f"/api/v1/sources/{source.pk}/test-connection")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "This API key is read-only.",
        "fields": {},
    }
    writer = key_client(org_a, secret_of(org_a, ApiKeyScope.READ_WRITE))
    allowed = writer.post(f"/api/v1/sources/{source.pk}/test-connection")
    assert allowed.status_code == 200
    assert allowed.json()["ok"] is True


def test_a_session_works_and_needs_csrf_to_write(org_a: Any, sources: Any) -> None:
    source = sources["acme"]
    client = Client(HTTP_HOST=org_a.host, enforce_csrf_checks=True)
    client.force_login(org_a.owner)
    assert client.get("/api/v1/sources").status_code == 200
    refused = client.post(f"/api/v1/sources/{source.pk}/test-connection")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    client.get("/api-keys/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(f"/api/v1/sources/{source.pk}/test-connection", HTTP_X_CSRFTOKEN=token).status_code == 200


def test_a_viewer_session_reads_but_cannot_write(org_a: Any, client_for: Any, sources: Any) -> None:
    viewer = client_for(org_a.viewer, org_a)
    assert viewer.get("/api/v1/sources").status_code == 200
    assert viewer.post(f"/api/v1/sources/{sources['acme'].pk}/test-connection").status_code == 403


def test_a_user_of_another_organization_gets_404(org_a: Any, org_b: Any, client_for: Any, sources: Any) -> None:
    stranger = client_for(org_b.owner, org_a)
    for path in ("/api/v1/sources", f"/api/v1/sources/{sources['acme'].pk}", "/api/v1/costs/summary"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert b"acme" not in response.content


def test_throttles_count_per_key_and_answer_429_with_retry_after(org_a: Any, settings: Any, sources: Any) -> None:
    settings.API_THROTTLE_RATES = {"api_key": "3/min", "api_user": "2/min"}
    cache.clear()
    first, second = key_client(org_a, secret_of(org_a)), key_client(org_a, secret_of(org_a))
    assert [first.get("/api/v1/sources").status_code for _ in range(3)] == [200, 200, 200]
    throttled = first.get("/api/v1/sources")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["error"]["code"] == "throttled"
    assert second.get("/api/v1/sources").status_code == 200  # another key has its own count
    cache.clear()


def test_throttles_count_per_user(org_a: Any, settings: Any, client_for: Any, sources: Any) -> None:
    settings.API_THROTTLE_RATES = {"api_key": "3/min", "api_user": "2/min"}
    cache.clear()
    owner, admin = client_for(org_a.owner, org_a), client_for(org_a.admin, org_a)
    assert [owner.get("/api/v1/sources").status_code for _ in range(3)] == [200, 200, 429]
    assert admin.get("/api/v1/sources").status_code == 200
    cache.clear()


def test_invalid_input_names_the_field(org_a: Any) -> None:
    response = key_client(org_a, secret_of(org_a)).get("/api/v1/costs/breakdown?granularity=fortnight")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "granularity" in error["fields"]


def test_the_schema_and_docs_are_served_without_a_cdn(org_a: Any) -> None:
    client = Client(HTTP_HOST=org_a.host)
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/costs/summary" in schema.json()["paths"]
    for page in ("/api/v1/docs/",):
        html = client.get(page).content.decode()
        # Only our own static files: no CDN, fonts service, inline script or inline style (the CSP forbids them).
        assert "://" not in html, page
        assert "<style" not in html and not re.search(r"<script>", html), page
    docs = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in script.content.decode()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js") is not None
