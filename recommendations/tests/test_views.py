"""Recommendation pages: totals, filters and sorting; detail with evidence and rationale; workflow; AI logs;
strangers get 404 everywhere, viewers read but cannot act."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from recommendations.models import AiCallLog, Recommendation, Status
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored


@pytest.fixture
def world(org_a, org_b, settings):
    settings.RECOMMENDATIONS_PROVIDER = "offline"
    with tenant_context(org_a.organization):
        run = stored(4)
        run.provider = "offline"
        rationales_refresh(run=run)
        Recommendation.objects.filter(resource_id="vol-00003").update(category="compute", effort="medium")
        Recommendation.objects.filter(resource_id="vol-00002").update(account_id="222222222222")
        ids = dict(Recommendation.objects.values_list("resource_id", "pk"))
        AiCallLog.objects.create(provider="bedrock", operation="converse", status="ok", input_tokens=1234)
    with tenant_context(org_b.organization):
        stored(1, prefix="vol-globex-")
    return org_a, org_b, ids


def _rows(html: str) -> list[str]:
    return re.findall(r'data-recommendation="(\d+)"', html)


def test_the_list_totals_sorts_by_savings_and_labels_template_text(world, client_for):
    org_a, _org_b, ids = world
    page = client_for(org_a.viewer, org_a).get("/recommendations/")
    html = page.content.decode()
    assert page.status_code == 200
    # 10.25 + 11.25 + 12.25 + 13.25
    assert 'id="total-savings">$47.00<' in html
    assert _rows(html) == [str(ids[f"vol-0000{n}"]) for n in (3, 2, 1, 0)]
    assert 'id="offline-notice"' in html and "Not AI" in html
    assert "vol-globex-" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=compute", ["vol-00003"]),
        ("account=222222222222", ["vol-00002"]),
        ("effort=medium", ["vol-00003"]),
        ("status=dismissed", []),
    ],
)
def test_the_list_filters_by_category_account_effort_and_status(world, client_for, query, expected):
    org_a, _org_b, ids = world
    html = client_for(org_a.viewer, org_a).get(f"/recommendations/?{query}").content.decode()
    assert _rows(html) == [str(ids[r]) for r in expected]


def test_the_detail_shows_the_computation_evidence_with_explorer_links_and_steps(world, client_for):
    org_a, _org_b, ids = world
    html = client_for(org_a.viewer, org_a).get(f"/recommendations/{ids['vol-00001']}/").content.decode()
    assert 'id="savings">$11.25<' in html
    assert "gp3 lists at 80.0% of that" in html
    assert (
        "/costs/?start=2024-09-01&amp;end=2024-09-30&amp;granularity=day&amp;group_by=usage_type&amp;"
        "basis=effective_cost&amp;include.resource_id=vol-00001&amp;include.usage_type=EBS%3AVolumeUsage.gp2"
    ) in html
    assert "aws ec2 modify-volume --volume-id vol-00001 --volume-type gp3" in html
    assert "Not AI" in html and "not written by AI" in html
    assert 'id="status-form"' not in html  # a viewer reads only


def test_the_workflow_goes_open_in_progress_done_with_history(world, client_for):
    org_a, _org_b, ids = world
    pk = ids["vol-00001"]
    member = client_for(org_a.owner, org_a)
    for status in ("in_progress", "done"):
        response = member.post(f"/recommendations/{pk}/status/", {"to_status": status})
        assert response.status_code == 302
    with tenant_context(org_a.organization):
        done = Recommendation.objects.get(pk=pk)
        assert done.status == Status.DONE and done.done_at is not None
        assert done.baseline_monthly_cost == done.monthly_cost
        assert [(h.from_status, h.to_status, h.user_email) for h in done.history.order_by("changed_at")] == [
            ("open", "in_progress", org_a.owner.email),
            ("in_progress", "done", org_a.owner.email),
        ]
    html = member.get(f"/recommendations/{pk}/").content.decode()
    assert 'id="history"' in html and "In progress" in html


def test_dismissing_needs_a_reason_and_snoozing_a_future_date(world, client_for):
    org_a, _org_b, ids = world
    pk = ids["vol-00002"]
    member = client_for(org_a.admin, org_a)
    refused = member.post(f"/recommendations/{pk}/status/", {"to_status": "dismissed"}, follow=True)
    assert "Say why it is dismissed" in refused.content.decode()
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    late = member.post(
        f"/recommendations/{pk}/status/", {"to_status": "snoozed", "snoozed_until": yesterday}, follow=True
    )
    assert "Snooze until a date after today" in late.content.decode()
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.OPEN

    until = datetime.date.today() + datetime.timedelta(days=14)
    member.post(f"/recommendations/{pk}/status/", {"to_status": "snoozed", "snoozed_until": until})
    with tenant_context(org_a.organization):
        snoozed = Recommendation.objects.get(pk=pk)
        assert (snoozed.status, snoozed.snoozed_until) == (Status.SNOOZED, until)
        assert snoozed.effective_status(until) == Status.OPEN  # on the day, it is open again
    assert str(pk) not in _rows(member.get("/recommendations/").content.decode())
    assert str(pk) in _rows(member.get("/recommendations/?status=snoozed").content.decode())

    member.post(f"/recommendations/{pk}/status/", {"to_status": "dismissed", "reason": "kept for DR drills"})
    with tenant_context(org_a.organization):
        dismissed = Recommendation.objects.get(pk=pk)
        assert dismissed.status == Status.DISMISSED and dismissed.status_reason == "kept for DR drills"
        assert dismissed.history.all()[0].reason == "kept for DR drills"
    reopen_to_done = member.post(f"/recommendations/{pk}/status/", {"to_status": "done"}, follow=True)
    assert "cannot become done" in reopen_to_done.content.decode()


def test_a_viewer_cannot_change_a_status(world, client_for):
    org_a, _org_b, ids = world
    pk = ids["vol-00001"]
    response = client_for(org_a.viewer, org_a).post(f"/recommendations/{pk}/status/", {"to_status": "done"})
    assert response.status_code == 403
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.OPEN
        assert not Recommendation.objects.get(pk=pk).history.exists()


def test_ai_logs_are_for_organization_admins(world, client_for):
    org_a, _org_b, _ids = world
    page = client_for(org_a.admin, org_a).get("/recommendations/ai-logs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="tokens-spent">1,234<' in html and "converse" in html
    assert client_for(org_a.viewer, org_a).get("/recommendations/ai-logs/").status_code == 403


def test_evidence_links_open_the_explorer_on_that_resource(world, client_for):
    org_a, _org_b, ids = world
    html = client_for(org_a.viewer, org_a).get(f"/recommendations/{ids['vol-00001']}/").content.decode()
    found = re.search(r'href="(/costs/\?[^"]+)" class="explorer-link"', html)
    assert found is not None
    link = found.group(1).replace("&amp;", "&")
    assert client_for(org_a.viewer, org_a).get(link).status_code == 200  # the explorer accepts every parameter


def test_strangers_get_404_on_every_page(world, client_for):
    org_a, org_b, ids = world
    pk = ids["vol-00001"]
    stranger = client_for(org_b.owner, org_a)
    for method, url, data in (
        ("get", "/recommendations/", None),
        ("get", f"/recommendations/{pk}/", None),
        ("post", f"/recommendations/{pk}/status/", {"to_status": "done"}),
        ("post", "/recommendations/run/", {}),
        ("get", "/recommendations/ai-logs/", None),
    ):
        response = getattr(stranger, method)(url, data) if data is not None else getattr(stranger, method)(url)
        assert response.status_code == 404, url
    # On their own site, another organization's id does not exist either.
    assert client_for(org_b.owner, org_b).get(f"/recommendations/{pk}/").status_code == 404
    with tenant_context(org_a.organization):
        assert Recommendation.objects.get(pk=pk).status == Status.OPEN


def test_run_now_is_for_managers(world, client_for):
    org_a, _org_b, _ids = world
    assert client_for(org_a.viewer, org_a).post("/recommendations/run/").status_code == 403
    response = client_for(org_a.owner, org_a).post("/recommendations/run/", follow=True)
    assert response.status_code == 200 and "queued" in response.content.decode()


def test_savings_summary_counts_only_confident_savings_apart(world, client_for):
    org_a, _org_b, ids = world
    with tenant_context(org_a.organization):
        Recommendation.objects.filter(pk=ids["vol-00003"]).update(confidence="low")
    html = client_for(org_a.viewer, org_a).get("/recommendations/").content.decode()
    assert "$33.75 of it with medium or high confidence" in html
    assert Decimal("47.00") - Decimal("13.25") == Decimal("33.75")
