"""The recommendations API: list with filters and ordering by savings, detail with the computation, evidence and
rationale, status changes through the workflow service; viewers read only; another organization gets 404."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from recommendations.models import Recommendation, Status
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored

API = "/api/v1/recommendations"


@pytest.fixture
def world(org_a: Any, org_b: Any, settings: Any) -> Any:
    settings.RECOMMENDATIONS_PROVIDER = "offline"
    with tenant_context(org_a.organization):
        run = stored(4)
        run.provider = "offline"
        rationales_refresh(run=run)
        Recommendation.objects.filter(resource_id="vol-00003").update(category="compute", effort="medium")
        Recommendation.objects.filter(resource_id="vol-00002").update(account_id="222222222222")
        ids = dict(Recommendation.objects.values_list("resource_id", "pk"))
    with tenant_context(org_b.organization):
        stored(1, prefix="vol-globex-")
    return org_a, org_b, ids


def client(user: Any, world: Any) -> APIClient:
    api = APIClient(HTTP_HOST=world.host)
    api.force_login(user)
    return api


def resources(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["resource_id"] for row in response.json()["results"]]


def test_the_list_is_sorted_by_savings_with_exact_money_and_shows_no_other_organization(world: Any) -> None:
    org_a, _org_b, _ids = world
    response = client(org_a.viewer, org_a).get(API)
    assert resources(response) == ["vol-00003", "vol-00002", "vol-00001", "vol-00000"]
    first = response.json()["results"][0]
    assert first["monthly_savings"] == "13.2500" and first["monthly_cost"] == "66.2500"
    assert first["status"] == "open" and first["rationale_source"] == "offline"
    assert response.json()["count"] == 4
    ascending = client(org_a.viewer, org_a).get(API, {"ordering": "savings"})
    assert resources(ascending) == ["vol-00000", "vol-00001", "vol-00002", "vol-00003"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "compute"}, ["vol-00003"]),
        ({"account": "222222222222"}, ["vol-00002"]),
        ({"effort": "medium"}, ["vol-00003"]),
        ({"status": "dismissed"}, []),
        ({"category": "storage", "effort": "low"}, ["vol-00002", "vol-00001", "vol-00000"]),
    ],
)
def test_the_list_filters_by_category_account_effort_and_status(world: Any, query: Any, expected: Any) -> None:
    org_a, _org_b, _ids = world
    assert resources(client(org_a.viewer, org_a).get(API, query)) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"category": "gpu"}, "category"),
        ({"status": "finished"}, "status"),
        ({"effort": "none"}, "effort"),
        ({"ordering": "title"}, "ordering"),
        ({"account": "1" * 200}, "account"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_the_parameter(world: Any, query: Any, field: str) -> None:
    org_a, _org_b, _ids = world
    response = client(org_a.viewer, org_a).get(API, query)
    assert response.status_code == 400 and field in str(response.json())


def test_the_detail_has_the_computation_the_evidence_with_explorer_links_and_the_rationale(world: Any) -> None:
    org_a, _org_b, ids = world
    response = client(org_a.viewer, org_a).get(f"{API}/{ids['vol-00001']}")
    assert response.status_code == 200
    body = response.json()
    assert body["monthly_savings"] == "11.2500" and "gp3 lists at 80.0% of that" in body["savings_method"]
    assert body["facts"]["size_gb"] == "101"
    [line] = body["evidence"]
    assert (line["usage_type"], line["quantity"], line["unit"]) == ("EBS:VolumeUsage.gp2", "101.000000", "GB-Mo")
    assert line["effective_cost"] == "56.2500"
    assert line["explorer_url"] == (
        "/costs/?start=2024-09-01&end=2024-09-30&granularity=day&group_by=usage_type&basis=effective_cost"
        "&include.resource_id=vol-00001&include.usage_type=EBS%3AVolumeUsage.gp2"
    )
    assert "aws ec2 modify-volume --volume-id vol-00001 --volume-type gp3" in str(body["steps"])
    assert body["rationale"] and body["rationale_source"] == "offline"
    assert body["allowed_transitions"] == ["in_progress", "done", "snoozed", "dismissed"]
    assert body["history"] == [] and body["realized"] is None


def test_the_workflow_goes_open_in_progress_done_and_back_with_history(world: Any) -> None:
    org_a, _org_b, ids = world
    pk = ids["vol-00001"]
    member = client(org_a.owner, org_a)
    for to_status in ("in_progress", "done"):
        response = member.post(f"{API}/{pk}/status", {"to_status": to_status})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == to_status
    done = response.json()
    assert done["baseline_monthly_cost"] == "56.2500" and done["done_at"] is not None
    assert [(h["from_status"], h["to_status"], h["user_email"]) for h in done["history"]] == [
        ("in_progress", "done", org_a.owner.email),
        ("open", "in_progress", org_a.owner.email),
    ]
    assert done["realized"]["before"] == "56.2500" and done["allowed_transitions"] == ["open"]
    assert resources(member.get(API, {"status": "done"})) == ["vol-00001"]
    reopened = member.post(f"{API}/{pk}/status", {"to_status": "open"}, format="json")
    assert reopened.json()["status"] == "open" and reopened.json()["baseline_monthly_cost"] is None


def test_dismissing_needs_a_reason_and_snoozing_a_date_after_today_each_a_400_naming_it(world: Any) -> None:
    org_a, _org_b, ids = world
    pk = ids["vol-00002"]
    admin = client(org_a.admin, org_a)
    no_reason = admin.post(f"{API}/{pk}/status", {"to_status": "dismissed"})
    assert no_reason.status_code == 400 and "reason" in str(no_reason.json())
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    for bad in ({"to_status": "snoozed"}, {"to_status": "snoozed", "snoozed_until": yesterday.isoformat()},
                {"to_status": "snoozed", "snoozed_until": "2026-02-30"}):  # fmt: skip
        refused = admin.post(f"{API}/{pk}/status", bad)
        assert refused.status_code == 400 and "snoozed_until" in str(refused.json()), bad
    assert admin.post(f"{API}/{pk}/status", {"to_status": "archived"}).status_code == 400
    until = datetime.date.today() + datetime.timedelta(days=14)
    snoozed = admin.post(f"{API}/{pk}/status", {"to_status": "snoozed", "snoozed_until": until.isoformat()})
    assert snoozed.status_code == 200 and snoozed.json()["snoozed_until"] == until.isoformat()
    assert "vol-00002" not in resources(admin.get(API))
    assert resources(admin.get(API, {"status": "snoozed"})) == ["vol-00002"]
    dismissed = admin.post(f"{API}/{pk}/status", {"to_status": "dismissed", "reason": "kept for DR drills"})
    assert dismissed.json()["status_reason"] == "kept for DR drills"
    refused = admin.post(f"{API}/{pk}/status", {"to_status": "done"})
    assert refused.status_code == 400 and "cannot become done" in str(refused.json())
    assert "to_status" in str(refused.json())
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.DISMISSED


def test_a_viewer_cannot_change_a_status(world: Any) -> None:
    org_a, _org_b, ids = world
    pk = ids["vol-00001"]
    assert client(org_a.viewer, org_a).post(f"{API}/{pk}/status", {"to_status": "done"}).status_code == 403
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.OPEN
        assert not Recommendation.objects.get(pk=pk).history.exists()


def test_the_list_takes_a_bounded_number_of_queries(world: Any, django_assert_max_num_queries: Any) -> None:
    org_a, _org_b, _ids = world
    with tenant_context(org_a.organization):
        stored(30, prefix="vol-more-")  # a later run: the first four are no longer found
    viewer = client(org_a.viewer, org_a)
    viewer.get(API)
    # 5 are the request's own (domain, session, user, membership twice), then a count and the page.
    with django_assert_max_num_queries(7):
        assert len(resources(viewer.get(API))) == 30


def test_another_organization_gets_404_and_sees_none_of_the_rows(world: Any) -> None:
    org_a, org_b, ids = world
    pk = ids["vol-00001"]
    stranger = client(org_b.owner, org_a)
    assert stranger.get(API).status_code == 404
    assert stranger.get(f"{API}/{pk}").status_code == 404
    assert stranger.post(f"{API}/{pk}/status", {"to_status": "done"}).status_code == 404
    own = client(org_b.owner, org_b)
    assert resources(own.get(API, {"status": "all"})) == ["vol-globex-00000"]
    assert own.get(f"{API}/{ids['vol-00003']}").status_code == 404  # acme's ids do not exist on globex's host
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.OPEN


def test_a_read_only_key_reads_but_cannot_change_a_status_a_read_write_key_can(world: Any) -> None:
    from tenants.services.api_keys import api_key_create

    org_a, org_b, ids = world
    pk = ids["vol-00001"]

    def key(world_: Any, scope: str, host: str) -> APIClient:
        secret = api_key_create(organization=world_.organization, name="ci", scope=scope, created_by=None).secret
        return APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {secret}")

    reader = key(org_a, "read", org_a.host)
    assert resources(reader.get(API))[0] == "vol-00003" and reader.get(f"{API}/{pk}").status_code == 200
    assert reader.post(f"{API}/{pk}/status", {"to_status": "done"}).status_code == 403
    writer = key(org_a, "read-write", org_a.host)
    assert writer.post(f"{API}/{pk}/status", {"to_status": "in_progress"}).json()["status"] == "in_progress"
    assert key(org_b, "read-write", org_a.host).get(f"{API}/{pk}").status_code == 401
    with tenant_context(org_a.organization):
        changed = Recommendation.objects.get(pk=pk)
        assert changed.status == Status.IN_PROGRESS
        [change] = changed.history.all()
        assert change.user_id is None and re.fullmatch(r"API key [0-9a-f]+ \(ci\)", change.user_email)
