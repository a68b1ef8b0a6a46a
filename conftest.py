"""Shared test fixtures: a prepared test database and two organizations with three users each side.

The test database is real PostgreSQL (DATABASE_URL, default 127.0.0.1:5432). Every view test
uses `org_a`/`org_b`: the owner of one is the stranger of the other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("FINOPS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from tenants.services.provisioning import public_tenant_ensure, template_schema_rebuild

    with django_db_blocker.unblock():
        public_tenant_ensure()
        template_schema_rebuild()


@pytest.fixture(autouse=True)
def _email_in_memory(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Any:
    yield
    from django.db import connection

    if connection.connection is not None:
        connection.set_schema_to_public()


@dataclass
class OrgWorld:
    organization: Any
    owner: Any
    admin: Any
    viewer: Any

    @property
    def host(self) -> str:
        return f"{self.organization.slug}.localhost"


PASSWORD = "correct horse battery staple"


def make_user(email: str) -> Any:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def make_org(slug: str) -> OrgWorld:
    from tenants.models import Membership, Role
    from tenants.services.provisioning import organization_create

    owner = make_user(f"owner@{slug}.test")
    organization = organization_create(name=slug.title(), slug=slug, owner=owner)
    admin = make_user(f"admin@{slug}.test")
    viewer = make_user(f"viewer@{slug}.test")
    Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
    Membership.objects.create(user=viewer, organization=organization, role=Role.VIEWER)
    return OrgWorld(organization, owner, admin, viewer)


@pytest.fixture
def org_a(db: Any) -> OrgWorld:
    return make_org("acme")


@pytest.fixture
def org_b(db: Any) -> OrgWorld:
    return make_org("globex")


@pytest.fixture
def client_for() -> Any:
    """client_for(user, world) -> a test client signed in as `user`, talking to `world`'s host."""
    from django.test import Client

    def build(user: Any, world: OrgWorld) -> Client:
        client = Client(HTTP_HOST=world.host)
        if user is not None:
            client.force_login(user)
        return client

    return build
