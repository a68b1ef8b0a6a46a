"""One check per source at a time, through a claim that a transaction pooler cannot break."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django_tenants.utils import tenant_context

from costs.models import CostSource
from costs.services.checks import source_check_lock


def test_a_second_check_of_the_same_source_is_refused_until_the_first_ends(org_a: Any, org_b: Any) -> None:
    cache.clear()
    with tenant_context(org_a.organization):
        source = CostSource.objects.create(name="payer", kind="aws_s3", bucket="b", role_arn="arn")
        with source_check_lock(source, task_id="task-1") as first:
            with source_check_lock(source, task_id="task-2") as second:
                assert (first, second) == (True, False)
            with source_check_lock(source) as local:
                assert local is False
        with source_check_lock(source, task_id="task-2") as after:
            assert after is True
    # The same source id in another organization is another claim.
    with tenant_context(org_b.organization):
        other = CostSource.objects.create(name="payer", kind="aws_s3", bucket="b", role_arn="arn")
        assert other.pk == source.pk
        with tenant_context(org_a.organization), source_check_lock(source, task_id="a") as held:
            assert held
            with tenant_context(org_b.organization), source_check_lock(other, task_id="b") as also:
                assert also


def test_a_task_redelivered_after_its_worker_died_takes_its_own_claim_over(org_a: Any) -> None:
    cache.clear()
    with tenant_context(org_a.organization):
        source = CostSource.objects.create(name="payer", kind="aws_s3", bucket="b", role_arn="arn")
        killed = source_check_lock(source, task_id="task-7")
        assert killed.__enter__() is True  # the worker dies here: the block never exits
        with source_check_lock(source, task_id="task-7") as redelivered:
            assert redelivered is True
        with source_check_lock(source, task_id="task-8") as next_one:
            assert next_one is True
