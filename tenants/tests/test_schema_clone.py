"""A cloned organization schema is identical to one built by running every migration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from finops.db import use_public_schema
from tenants.services.schema_clone import schema_clone


def catalog(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything migrations define, with the schema name taken out so two schemas compare."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default IS NOT NULL, is_identity, "
            "character_maximum_length, numeric_precision, numeric_scale FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY 1, 2",
            [schema],
        )
        columns = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, k.conname, k.contype, replace(pg_get_constraintdef(k.oid), %s, '') "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s ORDER BY 1, 2",
            [schema + ".", schema],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, replace(indexdef, %s, '') FROM pg_indexes WHERE schemaname = %s ORDER BY 1",
            [schema + ".", schema],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_get_partkeydef(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY 1",
            [schema],
        )
        tables = cursor.fetchall()
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        migrations = cursor.fetchall()
    return {
        "tables": tables,
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "migrations": migrations,
    }


def test_the_clone_matches_a_fully_migrated_schema(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "migrated_reference"')
    call_command("migrate_schemas", tenant=True, schema_name="migrated_reference", interactive=False, verbosity=0)
    use_public_schema()
    schema_clone(settings.TENANT_BASE_SCHEMA, "cloned_copy")

    migrated, cloned = catalog("migrated_reference"), catalog("cloned_copy")

    assert len(migrated["columns"]) > 20 and migrated["migrations"]
    assert cloned == migrated


def test_identity_columns_of_the_clone_start_after_copied_rows(db: Any) -> None:
    schema_clone(settings.TENANT_BASE_SCHEMA, "cloned_ids")
    with connection.cursor() as cursor:
        cursor.execute('SELECT max(id) FROM "cloned_ids".django_migrations')
        (highest,) = cursor.fetchone()
        cursor.execute(
            """INSERT INTO "cloned_ids".django_migrations (app, name, applied) VALUES ('x', 'y', now()) RETURNING id"""
        )
        (new_id,) = cursor.fetchone()
    assert new_id == highest + 1
