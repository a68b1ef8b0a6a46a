"""Monitoring pages: members see them, admins manage, strangers get 404 on every page and object."""

from __future__ import annotations

from typing import Any

from costs.monitoring.models import AlertSubscription, Anomaly, Budget, Monitor, MonitorDimension
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import day_of


def _world(billed_org: Any) -> dict[str, Any]:
    Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
    monitoring_run(trigger="test", today=day_of(110))
    budget = Budget.objects.create(name="All", amount=1000, actual_thresholds=[80])
    subscription = AlertSubscription.objects.create(user_id=billed_org.viewer.pk, channel="email")
    return {"anomaly": Anomaly.objects.get(), "budget": budget, "subscription": subscription}


def test_members_see_the_list_the_detail_with_root_cause_links_and_can_give_feedback(
    billed_org: Any, client_for: Any
) -> None:
    anomaly = _world(billed_org)["anomaly"]
    client = client_for(billed_org.viewer, billed_org)
    listing = client.get("/anomalies/?status=open&sort=impact")
    assert listing.status_code == 200 and f"/anomalies/{anomaly.pk}/".encode() in listing.content
    detail = client.get(f"/anomalies/{anomaly.pk}/")
    assert detail.status_code == 200
    assert b"<svg" in detail.content and b"<script" not in detail.content and b"style=" not in detail.content
    assert b"i-runaway" in detail.content and b"include.region=us-west-2" in detail.content
    response = client.post(f"/anomalies/{anomaly.pk}/feedback/", {"verdict": "true_anomaly"})
    assert response.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.status == "acknowledged" and anomaly.feedback.get().user_id == billed_org.viewer.pk


def test_admins_add_and_mute_monitors_and_manage_budgets_members_cannot(billed_org: Any, client_for: Any) -> None:
    admin, viewer = client_for(billed_org.admin, billed_org), client_for(billed_org.viewer, billed_org)
    fields = {"name": "Teams", "dimension": "tag", "tag_key": "team", "cost_basis": "billed_cost", "usage_only": "on",
              "min_impact_amount": "25", "min_impact_percent": "30"}  # fmt: skip
    assert viewer.post("/anomalies/monitors/", fields).status_code == 403
    assert admin.post("/anomalies/monitors/", fields).status_code == 302
    monitor = Monitor.objects.get(name="Teams")
    assert admin.post(f"/anomalies/monitors/{monitor.pk}/mute/", {"muted": "1"}).status_code == 302
    monitor.refresh_from_db()
    assert monitor.is_muted
    bad = admin.post("/anomalies/monitors/", {**fields, "name": "Bad\u202ename"})
    assert bad.status_code == 200 and b"control character" in bad.content
    budget = {"name": "AWS", "scope": "total", "amount": "5000", "currency": "USD", "cost_basis": "billed_cost",
              "actual_thresholds_text": "80, 100", "forecast_thresholds_text": "100"}  # fmt: skip
    assert viewer.post("/anomalies/budgets/", budget).status_code == 403
    assert admin.post("/anomalies/budgets/", budget).status_code == 302
    assert Budget.objects.get(name="AWS").actual_thresholds == [80, 100]
    assert admin.get("/anomalies/budgets/").status_code == 200
    assert b"Month-end forecast" in admin.get("/anomalies/monitors/").content


def test_members_manage_only_their_own_subscriptions(billed_org: Any, client_for: Any) -> None:
    theirs = _world(billed_org)["subscription"]
    admin = client_for(billed_org.admin, billed_org)
    assert admin.post("/anomalies/subscriptions/", {"channel": "email", "frequency": "daily", "min_severity": "high",
                                                    "anomalies": "on", "budgets": "on"}).status_code == 302  # fmt: skip
    assert AlertSubscription.objects.filter(user_id=billed_org.admin.pk, frequency="daily").exists()
    assert admin.post(f"/anomalies/subscriptions/{theirs.pk}/delete/").status_code == 404
    assert AlertSubscription.objects.filter(pk=theirs.pk).exists()


def test_the_home_page_shows_open_anomalies_forecast_and_budgets(billed_org: Any, client_for: Any) -> None:
    _world(billed_org)
    response = client_for(billed_org.viewer, billed_org).get("/")
    assert b"Anomalies and budgets" in response.content and b"open anomal" in response.content


def test_a_user_of_another_organization_gets_404_everywhere(org_b: Any, billed_org: Any, client_for: Any) -> None:
    objects = _world(billed_org)
    stranger = client_for(org_b.owner, billed_org)
    gets = ["/anomalies/", f"/anomalies/{objects['anomaly'].pk}/", "/anomalies/monitors/", "/anomalies/budgets/",
            "/anomalies/subscriptions/"]  # fmt: skip
    posts = [f"/anomalies/{objects['anomaly'].pk}/feedback/", "/anomalies/run/",
             f"/anomalies/budgets/{objects['budget'].pk}/delete/",
             f"/anomalies/subscriptions/{objects['subscription'].pk}/delete/",
             f"/anomalies/monitors/{Monitor.objects.get().pk}/mute/"]  # fmt: skip
    for path in gets:
        assert stranger.get(path).status_code == 404, path
    for path in posts:
        assert stranger.post(path, {"verdict": "expected", "muted": "1"}).status_code == 404, path
    assert Budget.objects.filter(pk=objects["budget"].pk).exists()
    assert not Monitor.objects.get().is_muted
