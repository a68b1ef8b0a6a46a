"""Bring the database named by DATABASE_URL up to date: shared and tenant migrations, the
public tenant, and a fresh template schema for fast sign-up."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.services.provisioning import public_tenant_ensure, template_schema_rebuild


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(verbosity - 1, 0))
        public_tenant_ensure()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=max(verbosity - 1, 0))
        template_schema_rebuild(verbosity=max(verbosity - 1, 0))
        self.stdout.write("database ready")
