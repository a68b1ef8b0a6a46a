"""Clients for API tests: a member's browser session, a new API key of an organization, and a key
warmed up so that query counts measure the request itself."""

from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from finops.db import use_public_schema
from tenants.services.api_keys import api_key_create


def session(user: Any, world: Any) -> APIClient:
    """`user` signed in, calling `world`'s host."""
    api = APIClient(HTTP_HOST=world.host)
    api.force_login(user)
    return api


def keyed(world: Any, scope: str) -> Client:
    """A client with a new key of `world`'s organization (`scope`: read or read-write)."""
    use_public_schema()
    secret = api_key_create(organization=world.organization, name=f"k-{scope}", scope=scope, created_by=None).secret
    return Client(HTTP_HOST=world.host, HTTP_AUTHORIZATION=f"Bearer {secret}")


def key_warm(client: Client, path: str) -> None:
    """Two calls: the key's first use records it (and drops its cached row), the second caches the
    row again. From then on a call reads neither the key nor its last use from the database."""
    for _ in range(2):
        client.get(path)
