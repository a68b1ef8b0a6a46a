"""Tenant tasks through a real Celery worker process and a real Redis broker."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from tenants.tasks import schema_report

pytestmark = pytest.mark.worker


def test_a_tenant_task_runs_in_the_schema_of_the_organization_that_sent_it(
    committed_org: Any, celery_worker_process: Any
) -> None:
    acme = committed_org("acme")
    globex = committed_org("globex")

    with tenant_context(acme.organization):
        acme_result = schema_report.delay().get(timeout=30)
    with tenant_context(globex.organization):
        globex_result = schema_report.delay().get(timeout=30)

    assert acme_result["schema"] == "org_acme"
    assert globex_result["schema"] == "org_globex"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'org_acme'")
        assert acme_result["tables"] == cursor.fetchone()[0] > 0


def test_a_tenant_task_sent_without_an_organization_fails_instead_of_running_in_public(
    transactional_db: Any, celery_worker_process: Any
) -> None:
    from celery.exceptions import CeleryError

    from finops.celery import TenantRequiredError, app

    with schema_context("public"):
        result = schema_report.delay()
        with pytest.raises(TenantRequiredError, match="without an organization schema"):
            result.get(timeout=30)

    # A message with no schema header at all (e.g. sent by another client) is refused too.
    raw = app.send_task("tenants.tasks.schema_report", headers={"_schema_name": None})
    with pytest.raises((TenantRequiredError, CeleryError)) as failure:
        raw.get(timeout=30)
    assert "without an organization schema" in str(failure.value)
