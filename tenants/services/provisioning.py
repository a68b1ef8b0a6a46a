"""Creating, preparing and deleting organizations (tenants)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from finops.db import use_public_schema
from finops.validators import validate_single_line_text
from tenants.models import Domain, Membership, Organization, Role, organization_host
from tenants.services.schema_clone import schema_clone
from tenants.slugs import schema_name_for, validate_slug

PUBLIC_SCHEMA = "public"


def public_tenant_ensure() -> Organization:
    """The public tenant row and its domain, so the public site resolves by host."""
    org, _ = Organization.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA, defaults={"name": "Public", "slug": "public"}
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": org, "is_primary": True})
    return org


def template_schema_rebuild(*, verbosity: int = 0) -> None:
    """(Re)create the migrated template schema that new organizations are cloned from.

    Running every migration per sign-up takes seconds; cloning a migrated schema takes a
    fraction of that. The template is rebuilt on every `prepare_db`, so it always carries
    the latest migrations.
    """
    template = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{template}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command("migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=verbosity)
    use_public_schema()


def _schema_clone_from_template(schema_name: str) -> None:
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        # A database prepared without `prepare_db` (e.g. a fresh test database): build it once.
        template_schema_rebuild()
    use_public_schema()
    # The copy includes django_migrations, so the clone is recorded as fully migrated.
    schema_clone(template, schema_name)


@transaction.atomic
def organization_create(*, name: str, slug: str, owner: User) -> Organization:
    """Create an organization, its schema, its host and its owner membership, all or nothing.

    Schema DDL is transactional in PostgreSQL, so a failure anywhere leaves no orphan schema
    and no orphan row.
    """
    validate_slug(slug)
    validate_single_line_text(name)
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationError("This name is already taken.", code="slug_taken")
    org = Organization(name=name.strip(), slug=slug, schema_name=schema_name_for(slug))
    org.save()
    Domain.objects.create(domain=organization_host(slug), tenant=org, is_primary=True)
    _schema_clone_from_template(org.schema_name)
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    return org


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete an organization with its schema (all its data) and memberships."""
    if organization.is_public:
        raise ValueError("the public tenant cannot be deleted")
    use_public_schema()
    organization.delete(force_drop=True)
