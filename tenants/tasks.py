"""Tenant housekeeping tasks."""

from __future__ import annotations

from django.db import connection

from finops.celery import tenant_task
from finops.db import current_schema


@tenant_task(name="tenants.tasks.schema_report")
def schema_report() -> dict[str, object]:
    """Which schema this task ran in and how many tables it holds (an operator diagnostic)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [current_schema()])
        (tables,) = cursor.fetchone()
    return {"schema": current_schema(), "tables": tables}
