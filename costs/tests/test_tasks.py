"""Tasks: the beat fan-out (one tenant task per organization, schema header, jitter), tenant-only tasks,
and account names from AWS Organizations."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery
from django.db import connection
from django_tenants.utils import tenant_context

from costs import tasks
from costs.models import CostSource, LinkedAccount, SourceKind
from costs.services.sources import linked_account_names_refresh, source_create, source_credentials
from costs.tests.conftest import ROLE_ARN
from finops.celery import TenantRequiredError


def test_the_beat_task_sends_one_check_per_organization_in_its_schema(
    org_a: Any, org_b: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.SOURCE_CHECK_JITTER_SECONDS = 900
    sent: list[dict[str, Any]] = []

    def capture(self: Any, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        sent.append({"name": name, "kwargs": kwargs, **options})

    # Below tenant-schemas-celery's send_task, which stamps the schema header.
    monkeypatch.setattr(Celery, "send_task", capture)
    connection.set_schema_to_public()  # type: ignore[attr-defined]

    assert tasks.sources_check_all_organizations.apply().get() == 2

    assert sorted(m["headers"]["_schema_name"] for m in sent) == sorted(
        [org_a.organization.schema_name, org_b.organization.schema_name]
    )
    assert {m["name"] for m in sent} == {"costs.tasks.organization_sources_check"}
    assert all(0 <= m["countdown"] <= 900 for m in sent)
    assert connection.schema_name == "public"  # type: ignore[attr-defined]


def test_tenant_tasks_refuse_to_run_without_an_organization(db: Any) -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with pytest.raises(TenantRequiredError):
        tasks.organization_sources_check.apply(throw=True).get()


def test_the_organization_check_covers_active_aws_sources_only(aws: Any, org_a: Any) -> None:
    aws.client("s3").create_bucket(Bucket="acme-billing")
    with tenant_context(org_a.organization):
        active = source_create(
            name="A", role_arn=ROLE_ARN, bucket="acme-billing", prefix="", export_name="daily", format="auto"
        )
        paused = source_create(
            name="B", role_arn=ROLE_ARN, bucket="acme-billing", prefix="", export_name="old", format="auto"
        )
        CostSource.objects.filter(pk=paused.pk).update(is_active=False)
        CostSource.objects.uploads()

        results = tasks.organization_sources_check.apply().get()

        assert [r["source"] for r in results] == [active.pk]
        assert "no reports under s3://acme-billing/daily/ yet" in results[0]["message"]
        assert CostSource.objects.get(pk=paused.pk).last_checked_at is None
        assert CostSource.objects.filter(kind=SourceKind.UPLOAD).get().last_checked_at is None


def test_account_names_come_from_organizations_when_permitted(aws: Any, org_a: Any) -> None:
    organizations = aws.client("organizations")
    with tenant_context(org_a.organization):
        source = source_create(name="A", role_arn=ROLE_ARN, bucket="b-b-b", prefix="", export_name="d", format="auto")
        credentials = source_credentials(source=source)
        # No organization yet: AWS answers AWSOrganizationsNotInUseException, which is skipped.
        assert linked_account_names_refresh(source=source, credentials=credentials) == 0

        organizations.create_organization(FeatureSet="ALL")
        status = organizations.create_account(AccountName="Production", Email="prod@acme.test")["CreateAccountStatus"]
        account_id = organizations.describe_create_account_status(CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]["AccountId"]
        LinkedAccount.objects.create(provider="AWS", account_id=account_id, source=source)

        assert linked_account_names_refresh(source=source, credentials=credentials) == 1
        assert LinkedAccount.objects.get(account_id=account_id).name == "Production"
