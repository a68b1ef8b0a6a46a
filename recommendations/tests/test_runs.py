"""Runs over a real ingested bill (the demo company): every planted finding, stored with evidence, idempotent."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django_tenants.utils import tenant_context

from costs.demo.catalog import SERVICES, company_build
from costs.demo.generator import DEFAULT_RESOURCES
from recommendations.detectors.base import instance_id
from recommendations.models import Recommendation, RecommendationRun, RunStatus, Status
from recommendations.services.runs import recommendations_run, run_start
from recommendations.services.store import candidates_store


def _planted_idle_instances() -> set[str]:
    company = company_build(resources=DEFAULT_RESOURCES, seed=7)
    return {
        instance_id(r.resource_id)
        for r in company.resources
        if SERVICES[r.service][3] == "DataTransfer-Regional-Bytes" and r.daily_units < 0.05
    }


def _line_item_cost(resource_id: str, start, end) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(effective_cost) FROM costs_costlineitem WHERE resource_id = %s AND x_usage_type LIKE 'BoxUsage%%' "
            "AND charge_period_start::date BETWEEN %s AND %s",
            [resource_id, start, end],
        )
        return cursor.fetchone()[0]


def test_the_demo_bill_yields_what_the_generator_planted(demo_bill):
    with tenant_context(demo_bill.organization):
        run = recommendations_run(trigger="manual")
        assert run.status == RunStatus.SUCCEEDED, run.error
        active = Recommendation.objects.filter(is_active=True)
        found = set(active.values_list("detector", flat=True))
        assert {
            "ec2_idle",
            "ec2_modernize",
            "ebs_gp2_to_gp3",
            "s3_intelligent_tiering",
            "elb_idle",
            "eip_idle",
            "nat_gateway_endpoint",
            "rds_previous_generation",
            "savings_plan_purchase",
            "commitment_low_utilization",
            "cloudwatch_logs_retention",
        } <= found
        idle = {instance_id(r.resource_id) for r in active.filter(detector="ec2_idle")}
        assert idle == _planted_idle_instances()
        assert active.filter(detector="elb_idle").count() == 1  # one of the three load balancers is idle

        # The idle instance's savings are its line items' cost over the window, as a month of 730 h.
        one = active.filter(detector="ec2_idle").order_by("pk")[0]
        assert one.window_start and one.window_end
        cost = _line_item_cost(one.resource_id, one.window_start, one.window_end)
        days = (one.window_end - one.window_start).days + 1
        assert one.monthly_savings == (cost * 730 / (days * 24)).quantize(Decimal("0.01"))
        assert one.evidence.count() >= 2  # instance hours and its (tiny) data transfer

        assert run.candidates == active.count() == run.created
        assert not active.exclude(rationale_source="offline").exists()
        assert all(r.steps for r in active.filter(detector__in=["ec2_idle", "eip_idle"]))


def test_a_second_run_updates_in_place_and_reuses_the_rationale(demo_bill):
    with tenant_context(demo_bill.organization):
        first = recommendations_run(trigger="manual")
        recommendation = Recommendation.objects.filter(is_active=True).order_by("pk")[0]
        recommendation.status = Status.IN_PROGRESS
        recommendation.save()
        second = recommendations_run(trigger="nightly")

        assert (second.created, second.updated, second.resolved) == (0, first.candidates, 0)
        assert second.rationales_written == 0 and second.rationales_cached == first.candidates
        recommendation.refresh_from_db()
        assert recommendation.status == Status.IN_PROGRESS  # the workflow survives a refresh
        assert Recommendation.objects.count() == first.candidates


def test_recommendations_no_longer_found_are_resolved(demo_bill):
    with tenant_context(demo_bill.organization):
        recommendations_run(trigger="manual")
        run = run_start(trigger="manual")
        result = candidates_store(run=run, candidates=[])
        assert result.resolved == Recommendation.objects.count()
        assert not Recommendation.objects.filter(is_active=True).exists()


def test_a_run_is_skipped_while_another_is_under_way(org_a):
    with tenant_context(org_a.organization):
        first = run_start(trigger="manual")
        second = run_start(trigger="ingestion")
        assert first.status == RunStatus.RUNNING
        assert second.status == RunStatus.SKIPPED
        assert RecommendationRun.objects.count() == 2


def test_an_empty_bill_gives_an_empty_successful_run(org_a):
    with tenant_context(org_a.organization):
        run = recommendations_run(trigger="manual")
        assert (run.status, run.candidates) == (RunStatus.SUCCEEDED, 0)
