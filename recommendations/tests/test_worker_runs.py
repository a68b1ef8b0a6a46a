"""Through a real Celery worker: an ingestion queues a run on the ai queue; beat's fan-out runs every organization."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from recommendations.models import Recommendation, RecommendationRun, RunStatus, RunTrigger
from recommendations.tasks import recommendations_run_all_organizations
from recommendations.tests.conftest import load_demo

pytestmark = [pytest.mark.worker]


def wait_for(what: str, condition: Callable[[], Any], seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def finished_runs(world: Any, trigger: str) -> list[RecommendationRun]:
    with tenant_context(world.organization):
        runs = list(RecommendationRun.objects.filter(trigger=trigger))
    return runs if runs and all(r.status not in (RunStatus.RUNNING,) for r in runs) else []


def test_an_ingestion_queues_a_run_that_the_worker_executes(celery_worker_process, committed_org):
    world = committed_org("ingestco")
    load_demo(world)  # succeeded ingestion jobs, committed: the signal fires on commit

    runs = wait_for("a run after ingestion", lambda: finished_runs(world, RunTrigger.INGESTION))
    assert {r.status for r in runs} <= {RunStatus.SUCCEEDED, RunStatus.SKIPPED}
    assert any(r.status == RunStatus.SUCCEEDED and r.candidates > 0 for r in runs)
    with tenant_context(world.organization):
        assert Recommendation.objects.filter(is_active=True).exists()


def test_the_nightly_fan_out_runs_each_organization_in_its_own_schema(celery_worker_process, committed_org):
    first, second = committed_org("nightone"), committed_org("nighttwo")
    assert recommendations_run_all_organizations() >= 2

    for world in (first, second):

        def nightly(w: Any = world) -> list[RecommendationRun]:
            return finished_runs(w, RunTrigger.NIGHTLY)

        (run,) = wait_for("the nightly run", nightly)
        assert run.status == RunStatus.SUCCEEDED, run.error
