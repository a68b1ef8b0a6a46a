"""API keys: stored hashed, shown once, tied to one organization, revocable, last use recorded cheaply;
the keys page is for owners and admins, and strangers get 404 on it and on other organizations' keys."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tenants.models import ApiKey, ApiKeyScope, organization_url
from tenants.services.api_keys import api_key_create, api_key_resolve, api_key_revoke, api_key_touch


def test_a_key_is_stored_as_a_hash_and_resolves_to_its_organization(org_a: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=org_a.owner)
    stored = ApiKey.objects.get(pk=new.key.pk)
    assert new.secret.startswith(f"fo_{stored.prefix}_")
    assert stored.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in {getattr(stored, f.attname) for f in ApiKey._meta.concrete_fields}
    resolved = api_key_resolve(secret=new.secret)
    assert resolved is not None and resolved.pk == stored.pk and resolved.organization == org_a.organization


def test_a_wrong_secret_with_a_real_prefix_resolves_to_nothing(org_a: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None)
    assert api_key_resolve(secret=new.secret[:-2] + "xx") is None
    assert api_key_resolve(secret="fo_zzzzzzzz_nothing") is None
    assert api_key_resolve(secret="not a key") is None


def test_a_revoked_key_resolves_to_nothing(org_a: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None)
    assert api_key_revoke(key=new.key) is True
    assert api_key_revoke(key=new.key) is False
    assert api_key_resolve(secret=new.secret) is None


def test_last_use_is_written_at_most_once_a_minute(org_a: Any, django_assert_num_queries: Any) -> None:
    key = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None).key
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    with django_assert_num_queries(1):
        api_key_touch(key=key, now=now)
    with django_assert_num_queries(0):
        api_key_touch(key=key, now=now + datetime.timedelta(seconds=59))
    with django_assert_num_queries(1):
        api_key_touch(key=key, now=now + datetime.timedelta(seconds=61))
    assert ApiKey.objects.get(pk=key.pk).last_used_at == now + datetime.timedelta(seconds=61)


@pytest.mark.parametrize("name", ["ci\r\nBcc: x@evil.test", "tab\there", "\u202ercod.exe"])
def test_a_key_name_with_a_control_character_is_refused(org_a: Any, client_for: Any, name: str) -> None:
    with pytest.raises(ValidationError):
        api_key_create(organization=org_a.organization, name=name, scope=ApiKeyScope.READ, created_by=None)
    response = client_for(org_a.owner, org_a).post("/api-keys/", {"name": name, "scope": "read"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_the_keys_page_creates_a_key_shows_its_secret_once_and_lists_it(org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.admin, org_a)
    response = client.post("/api-keys/", {"name": "billing export", "scope": "read-write"})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    secret = response.context["created"].secret
    body = response.content.decode()
    assert secret in body
    assert f'curl -H "Authorization: Bearer {secret}" {organization_url("acme", "/api/v1/")}costs/summary' in body
    assert response["Cache-Control"] == "no-store"
    assert key.scope == ApiKeyScope.READ_WRITE and key.created_by == org_a.admin
    listing = client.get("/api-keys/").content.decode()
    assert secret not in listing
    assert "billing export" in listing and f"fo_{key.prefix}_" in listing and "never" in listing


def test_the_keys_page_revokes_a_key(org_a: Any, client_for: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="old", scope=ApiKeyScope.READ, created_by=None)
    response = client_for(org_a.owner, org_a).post(f"/api-keys/{new.key.pk}/revoke/")
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=new.key.pk).revoked_at is not None


def test_viewers_cannot_manage_keys(org_a: Any, client_for: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="k", scope=ApiKeyScope.READ, created_by=None)
    viewer = client_for(org_a.viewer, org_a)
    assert viewer.get("/api-keys/").status_code == 403
    assert viewer.post("/api-keys/", {"name": "x", "scope": "read"}).status_code == 403
    assert viewer.post(f"/api-keys/{new.key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.get(pk=new.key.pk).revoked_at is None


def test_another_organizations_key_is_404_to_revoke_and_absent_from_the_list(
    org_a: Any, org_b: Any, client_for: Any
) -> None:
    theirs = api_key_create(organization=org_b.organization, name="globex key", scope=ApiKeyScope.READ, created_by=None)
    client = client_for(org_a.owner, org_a)
    assert client.post(f"/api-keys/{theirs.key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=theirs.key.pk).revoked_at is None
    assert "globex key" not in client.get("/api-keys/").content.decode()
    # And a user of the other organization gets 404 on this organization's keys page.
    assert client_for(org_b.owner, org_a).get("/api-keys/").status_code == 404


def test_a_resolved_key_is_cached_and_a_revocation_takes_effect_at_once(
    org_a: Any, django_assert_num_queries: Any
) -> None:
    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None)
    with django_assert_num_queries(1):
        assert api_key_resolve(secret=new.secret) is not None
    with django_assert_num_queries(0):
        cached = api_key_resolve(secret=new.secret)
    assert cached is not None and (cached.pk, cached.organization_id, cached.scope) == (
        new.key.pk,
        org_a.organization.pk,
        ApiKeyScope.READ,
    )
    assert api_key_resolve(secret=new.secret[:-2] + "xx") is None  # the cache holds the hash, not a pass
    api_key_revoke(key=new.key)
    assert api_key_resolve(secret=new.secret) is None


def test_a_changed_key_row_is_read_again(org_a: Any) -> None:
    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None)
    assert api_key_resolve(secret=new.secret).scope == ApiKeyScope.READ  # type: ignore[union-attr]
    key = ApiKey.objects.get(pk=new.key.pk)
    key.scope = ApiKeyScope.READ_WRITE
    key.save()
    assert api_key_resolve(secret=new.secret).scope == ApiKeyScope.READ_WRITE  # type: ignore[union-attr]
    key.delete()
    assert api_key_resolve(secret=new.secret) is None


def test_a_key_revoked_through_the_api_keys_page_stops_working_on_the_next_call(org_a: Any, client_for: Any) -> None:
    from django.test import Client

    new = api_key_create(organization=org_a.organization, name="ci", scope=ApiKeyScope.READ, created_by=None)
    api = Client(HTTP_HOST=org_a.host, HTTP_AUTHORIZATION=f"Bearer {new.secret}")
    assert api.get("/api/v1/sources").status_code == 200
    assert api.get("/api/v1/sources").status_code == 200  # answered with the cached row
    assert client_for(org_a.owner, org_a).post(f"/api-keys/{new.key.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/sources").status_code == 401
