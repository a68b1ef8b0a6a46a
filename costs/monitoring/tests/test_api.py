"""The monitoring API over a real (crafted, ingested) bill: anomalies with filters, detail and feedback,
monitors, budgets with their status, subscriptions; viewers read only; another organization gets 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from costs.monitoring.models import (
    AlertSubscription,
    Anomaly,
    AnomalyStatus,
    Budget,
    BudgetAlert,
    Monitor,
    MonitorDimension,
    Suppression,
)
from costs.monitoring.selectors import forecast_day
from costs.monitoring.services.budgets import budget_create, budget_status
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import SPIKES, day_of

API = "/api/v1"


def client(user: Any, world: Any) -> APIClient:
    api = APIClient(HTTP_HOST=world.host)
    api.force_login(user)
    return api


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]  # type: ignore[no-any-return]


@pytest.fixture
def anomalies(billed_org: Any) -> dict[str, Any]:
    """Total and tag monitors run twice: both spikes on both monitors (four anomalies)."""
    total = Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
    teams = Monitor.objects.create(name="Teams", dimension=MonitorDimension.TAG, tag_key="team")
    monitoring_run(trigger="test", today=day_of(110))
    monitoring_run(trigger="test", today=day_of(145))
    return {"total": total, "teams": teams, "all": list(Anomaly.objects.order_by("start_day", "monitor_id"))}


def test_the_anomaly_list_filters_by_monitor_status_severity_and_days_and_orders_by_impact_or_start(
    anomalies: Any, billed_org: Any
) -> None:
    viewer = client(billed_org.viewer, billed_org)
    everything = results(viewer.get(f"{API}/anomalies"))
    assert len(everything) == 4
    impacts = [Decimal(row["impact_amount"]) for row in everything]
    assert impacts == sorted(impacts, reverse=True)
    assert all(isinstance(row["impact_amount"], str) for row in everything)  # money is an exact string
    total = anomalies["total"]
    on_total = results(viewer.get(f"{API}/anomalies", {"monitor": total.pk, "ordering": "start"}))
    assert [row["start_day"] for row in on_total] == [day_of(SPIKES[1]).isoformat(), day_of(SPIKES[0]).isoformat()]
    assert {row["monitor_name"] for row in on_total} == {"Total spend"}
    first = Anomaly.objects.get(monitor=total, start_day=day_of(SPIKES[0]))
    first.status = AnomalyStatus.RESOLVED
    first.save()
    open_ones = results(viewer.get(f"{API}/anomalies", {"status": "open", "monitor": total.pk}))
    assert [row["id"] for row in open_ones] == [Anomaly.objects.get(monitor=total, start_day=day_of(SPIKES[1])).pk]
    window = {"since": day_of(SPIKES[0]).isoformat(), "until": day_of(SPIKES[0] + 5).isoformat()}
    in_window = results(viewer.get(f"{API}/anomalies", window))
    assert {row["start_day"] for row in in_window} == {day_of(SPIKES[0]).isoformat()} and len(in_window) == 2
    severity = everything[0]["severity"]
    assert {row["severity"] for row in results(viewer.get(f"{API}/anomalies", {"severity": severity}))} == {severity}
    assert results(viewer.get(f"{API}/anomalies", {"severity": "critical"})) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"severity": "huge"}, "severity"),
        ({"monitor": "abc"}, "monitor"),
        ({"monitor": "99999999999999999999999"}, "monitor"),
        ({"since": "2025-13-01"}, "since"),
        ({"since": "2025-05-02", "until": "2025-05-01"}, "until"),
        ({"ordering": "cheapest"}, "ordering"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_the_parameter(billed_org: Any, query: Any, field: str) -> None:
    response = client(billed_org.viewer, billed_org).get(f"{API}/anomalies", query)
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_anomaly_detail_carries_its_root_cause_with_explorer_links_and_the_expected_and_actual_series(
    anomalies: Any, billed_org: Any
) -> None:
    anomaly = Anomaly.objects.get(monitor=anomalies["total"], start_day=day_of(SPIKES[0]))
    Anomaly.objects.filter(pk=anomaly.pk).update(root_cause=[], root_cause_done=False)  # computed when opened
    detail = client(billed_org.viewer, billed_org).get(f"{API}/anomalies/{anomaly.pk}")
    assert detail.status_code == 200
    body = detail.json()
    top = body["root_cause"][0]
    assert top["dimensions"]["resource"] == "i-runaway" and top["delta_daily"] == "400.00"
    assert "include.region=us-west-2" in top["explorer_url"] and top["explorer_url"].startswith("/costs/?")
    spike_day = [point for point in body["daily"] if point["in_anomaly"]]
    assert spike_day[0]["day"] == day_of(SPIKES[0]).isoformat()
    assert Decimal(spike_day[0]["actual"]) - Decimal(spike_day[0]["expected"]) > 350
    assert body["expected_amount"] == str(anomaly.expected_amount)
    assert body["feedback"] == []


def test_feedback_expected_resolves_the_anomaly_and_the_same_pattern_stops_alerting(billed_org: Any) -> None:
    Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
    monitoring_run(trigger="test", today=day_of(110))
    first = Anomaly.objects.get()
    admin = client(billed_org.admin, billed_org)
    response = admin.post(f"{API}/anomalies/{first.pk}/feedback", {"verdict": "expected", "note": "load test"})
    assert response.status_code == 201, response.content
    assert response.json()["anomaly"]["status"] == "resolved" and response.json()["feedback"]["verdict"] == "expected"
    assert Suppression.objects.filter(source=first).exists()
    monitoring_run(trigger="test", today=day_of(145))
    second = Anomaly.objects.exclude(pk=first.pk).get()
    assert second.suppressed_by is not None and second.status == AnomalyStatus.RESOLVED
    listed = results(admin.get(f"{API}/anomalies", {"ordering": "start"}))
    assert listed[0]["id"] == second.pk and listed[0]["suppressed"] is True
    detail = admin.get(f"{API}/anomalies/{first.pk}").json()
    assert [(f["verdict"], f["note"]) for f in detail["feedback"]] == [("expected", "load test")]


def test_feedback_true_anomaly_acknowledges_bad_input_is_a_400_and_viewers_may_not(
    anomalies: Any, billed_org: Any
) -> None:
    anomaly = anomalies["all"][0]
    url = f"{API}/anomalies/{anomaly.pk}/feedback"
    viewer, admin = client(billed_org.viewer, billed_org), client(billed_org.admin, billed_org)
    assert viewer.post(url, {"verdict": "true_anomaly"}).status_code == 403
    bad = admin.post(url, {"verdict": "maybe"})
    assert bad.status_code == 400 and "verdict" in str(bad.json())
    assert admin.post(url, {"verdict": "true_anomaly", "note": "line\nbreak"}).status_code == 400
    assert admin.post(url, {"verdict": "true_anomaly"}, format="json").status_code == 201
    anomaly.refresh_from_db()
    assert anomaly.status == AnomalyStatus.ACKNOWLEDGED and anomaly.feedback.get().user_id == billed_org.admin.pk
    assert admin.get(f"{API}/anomalies/999999").status_code == 404


def test_monitors_list_with_open_counts_admins_add_mute_and_unmute_viewers_cannot(
    anomalies: Any, billed_org: Any
) -> None:
    viewer, admin = client(billed_org.viewer, billed_org), client(billed_org.admin, billed_org)
    listed = {row["name"]: row for row in results(viewer.get(f"{API}/monitors"))}
    assert listed["Total spend"]["open_anomalies"] == 2 and listed["Teams"]["tag_key"] == "team"
    fields = {"name": "Services", "dimension": "service", "min_impact_amount": "50.00", "min_impact_percent": "20"}
    assert viewer.post(f"{API}/monitors", fields).status_code == 403
    created = admin.post(f"{API}/monitors", fields)
    assert created.status_code == 201, created.content
    assert created.json()["min_impact_amount"] == "50.00" and created.json()["open_anomalies"] == 0
    assert Monitor.objects.get(name="Services").created_by_id == billed_org.admin.pk
    no_key = admin.post(f"{API}/monitors", {"name": "Tags", "dimension": "tag"})
    assert no_key.status_code == 400 and "tag_key" in str(no_key.json())
    for bad in (
        {**fields, "dimension": "planet"},
        {**fields, "name": "Bad\u202ename"},
        {**fields, "min_impact_amount": "x"},
    ):
        assert admin.post(f"{API}/monitors", bad).status_code == 400
    total = anomalies["total"]
    assert viewer.post(f"{API}/monitors/{total.pk}/mute").status_code == 403
    assert admin.post(f"{API}/monitors/{total.pk}/mute").json()["is_muted"] is True
    total.refresh_from_db()
    assert total.is_muted
    assert admin.post(f"{API}/monitors/{total.pk}/unmute").json()["is_muted"] is False
    assert viewer.get(f"{API}/monitors/{total.pk}").json()["is_muted"] is False


def test_budgets_crud_with_the_status_the_pages_show(billed_org: Any) -> None:
    admin, viewer = client(billed_org.admin, billed_org), client(billed_org.viewer, billed_org)
    fields = {"name": "AWS", "scope": "total", "amount": "1000.50", "currency": "USD",
              "actual_thresholds": [100, 80, 80], "forecast_thresholds": [100]}  # fmt: skip
    assert viewer.post(f"{API}/budgets", fields, format="json").status_code == 403
    created = admin.post(f"{API}/budgets", fields, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["amount"] == "1000.50" and body["actual_thresholds"] == [80, 100]
    budget = Budget.objects.get(pk=body["id"])
    expected = budget_status(budget, today=forecast_day())
    assert body["status"]["actual"] == str(expected["actual"]) and Decimal(body["status"]["actual"]) > 1000
    assert body["status"]["forecast"] == str(expected["projected"])
    assert body["status"]["actual_percent"] == str(expected["actual_percent"])
    assert body["status"]["month"] == "2025-05-01" and body["status"]["alerts"] == []
    monitoring_run(trigger="test", today=day_of(149))  # checks budgets: 80% and 100% of actual crossed
    alerts = viewer.get(f"{API}/budgets/{budget.pk}").json()["status"]["alerts"]
    assert sorted((a["basis"], a["threshold"]) for a in alerts) == [("actual", 80), ("actual", 100), ("forecast", 100)]
    changed = admin.patch(f"{API}/budgets/{budget.pk}", {"amount": "99999.99"}, format="json")
    assert changed.status_code == 200 and changed.json()["amount"] == "99999.99" and changed.json()["name"] == "AWS"
    replaced = admin.put(f"{API}/budgets/{budget.pk}", {**fields, "name": "S3", "scope": "service",
                         "scope_value": "Amazon Simple Storage Service"}, format="json")  # fmt: skip
    assert replaced.status_code == 200, replaced.content
    s3 = budget_status(Budget.objects.get(pk=budget.pk), today=forecast_day())
    assert replaced.json()["status"]["actual"] == str(s3["actual"]) and 0 < s3["actual"] < 1000
    assert viewer.delete(f"{API}/budgets/{budget.pk}").status_code == 403
    assert admin.delete(f"{API}/budgets/{budget.pk}").status_code == 204
    assert not Budget.objects.filter(pk=budget.pk).exists()
    assert not BudgetAlert.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"scope": "service"}, "scope_value"),
        ({"scope": "tag", "scope_value": "web"}, "tag_key"),
        ({"actual_thresholds": [0]}, "actual_thresholds"),
        ({"forecast_thresholds": "100"}, "forecast_thresholds"),
        ({"name": "x" * 121}, "name"),
        ({"cost_basis": "list_cost"}, "cost_basis"),
    ],
)
def test_a_bad_budget_is_a_400_naming_the_field(billed_org: Any, change: Any, field: str) -> None:
    fields = {"name": "AWS", "scope": "total", "amount": "100", "currency": "USD", **change}
    response = client(billed_org.admin, billed_org).post(f"{API}/budgets", fields, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not Budget.objects.exists()


def test_members_list_create_and_delete_only_their_own_subscriptions(billed_org: Any) -> None:
    theirs = AlertSubscription.objects.create(user_id=billed_org.viewer.pk, channel="email")
    admin = client(billed_org.admin, billed_org)
    created = admin.post(f"{API}/alert-subscriptions", {"channel": "email", "frequency": "daily",
                                                         "min_severity": "high"})  # fmt: skip
    assert created.status_code == 201, created.content
    assert [row["id"] for row in results(admin.get(f"{API}/alert-subscriptions"))] == [created.json()["id"]]
    assert AlertSubscription.objects.get(pk=created.json()["id"]).user_id == billed_org.admin.pk
    insecure = admin.post(f"{API}/alert-subscriptions", {"channel": "slack", "slack_webhook_url": "http://x.test/"})
    assert insecure.status_code == 400 and "slack_webhook_url" in str(insecure.json())
    assert admin.delete(f"{API}/alert-subscriptions/{theirs.pk}").status_code == 404
    assert AlertSubscription.objects.filter(pk=theirs.pk).exists()
    assert admin.delete(f"{API}/alert-subscriptions/{created.json()['id']}").status_code == 204
    assert not AlertSubscription.objects.filter(user_id=billed_org.admin.pk).exists()


def test_lists_take_a_bounded_number_of_queries(
    anomalies: Any, billed_org: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(6):
        budget_create(user=None, name=f"B{number}", scope="service", scope_value=f"S{number % 2}", amount=10)
        Monitor.objects.create(name=f"M{number}", dimension=MonitorDimension.SERVICE)
        AlertSubscription.objects.create(user_id=billed_org.admin.pk, channel="email")
    admin = client(billed_org.admin, billed_org)
    admin.get(f"{API}/monitors")  # sessions and the tenant are warm from here on
    # 5 of them are the request's own (domain, session, user, membership twice); budgets read the bill once per
    # (scope, tag key, basis), here one, however many budgets there are: two queries (the bill's days from the
    # daily services, Cost Explorer estimates from the rollups).
    for path, most in (("anomalies", 7), ("monitors", 7), ("budgets", 12), ("alert-subscriptions", 7)):
        with django_assert_max_num_queries(most):
            assert len(results(admin.get(f"{API}/{path}"))) >= 4, path


def test_another_organization_gets_404_on_every_object_and_sees_none_of_the_rows(
    org_b: Any, anomalies: Any, billed_org: Any
) -> None:
    anomaly, monitor = anomalies["all"][0], anomalies["total"]
    budget = budget_create(user=None, name="Acme budget", amount=100)
    subscription = AlertSubscription.objects.create(user_id=billed_org.owner.pk, channel="email")
    stranger = client(org_b.owner, billed_org)  # signed in elsewhere, calling acme's host
    for path in ("anomalies", f"anomalies/{anomaly.pk}", "monitors", f"monitors/{monitor.pk}", "budgets",
                 f"budgets/{budget.pk}", "alert-subscriptions"):  # fmt: skip
        assert stranger.get(f"{API}/{path}").status_code == 404, path
    writes = [
        ("post", f"anomalies/{anomaly.pk}/feedback", {"verdict": "expected"}),
        ("post", "monitors", {"name": "x", "dimension": "total"}),
        ("post", f"monitors/{monitor.pk}/mute", {}),
        ("post", "budgets", {"name": "x", "amount": "1"}),
        ("patch", f"budgets/{budget.pk}", {"amount": "1"}),
        ("delete", f"budgets/{budget.pk}", {}),
        ("post", "alert-subscriptions", {"channel": "email"}),
        ("delete", f"alert-subscriptions/{subscription.pk}", {}),
    ]
    for method, path, data in writes:
        assert getattr(stranger, method)(f"{API}/{path}", data, format="json").status_code == 404, path
    assert not Monitor.objects.get(pk=monitor.pk).is_muted and Budget.objects.get(pk=budget.pk).amount == 100
    assert Anomaly.objects.get(pk=anomaly.pk).status == AnomalyStatus.OPEN
    with tenant_context(org_b.organization):
        budget_create(user=None, name="Globex budget", amount=100)
        Monitor.objects.create(name="Globex monitor", dimension=MonitorDimension.TOTAL)
    own = client(org_b.owner, org_b)
    assert results(own.get(f"{API}/anomalies")) == []
    assert [row["name"] for row in results(own.get(f"{API}/budgets"))] == ["Globex budget"]
    assert [row["name"] for row in results(own.get(f"{API}/monitors"))] == ["Globex monitor"]
    assert results(own.get(f"{API}/alert-subscriptions")) == []
    assert own.get(f"{API}/anomalies/{anomaly.pk}").status_code == 404


def key_client(world: Any, scope: str) -> APIClient:
    from tenants.services.api_keys import api_key_create

    secret = api_key_create(organization=world.organization, name="ci", scope=scope, created_by=None).secret
    return APIClient(HTTP_HOST=world.host, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_keys_read_everything_read_only_keys_cannot_write_and_subscriptions_are_for_people(
    org_b: Any, anomalies: Any, billed_org: Any
) -> None:
    anomaly, monitor = anomalies["all"][0], anomalies["total"]
    reader = key_client(billed_org, "read")
    for path in ("anomalies", f"anomalies/{anomaly.pk}", "monitors", f"monitors/{monitor.pk}", "budgets"):
        assert reader.get(f"{API}/{path}").status_code == 200, path
    for path in (f"anomalies/{anomaly.pk}/feedback", f"monitors/{monitor.pk}/mute", "budgets"):
        refused = reader.post(f"{API}/{path}", {"verdict": "expected", "name": "x", "amount": "1"})
        assert refused.status_code == 403 and refused.json()["error"]["message"] == "This API key is read-only."
    writer = key_client(billed_org, "read-write")
    assert writer.post(f"{API}/monitors/{monitor.pk}/mute").json()["is_muted"] is True
    assert writer.post(f"{API}/budgets", {"name": "From CI", "amount": "250.00"}).status_code == 201
    feedback = writer.post(f"{API}/anomalies/{anomaly.pk}/feedback", {"verdict": "not_anomaly"})
    assert feedback.status_code == 201 and feedback.json()["anomaly"]["status"] == "resolved", feedback.content
    for client_ in (reader, writer):
        refused = client_.get(f"{API}/alert-subscriptions")
        assert refused.status_code == 403 and "belong to a person" in refused.json()["error"]["message"]
        assert client_.post(f"{API}/alert-subscriptions", {"channel": "email"}).status_code == 403
    assert not AlertSubscription.objects.exists()
    stranger_key = key_client(org_b, "read-write")
    stranger_key.defaults["HTTP_HOST"] = billed_org.host
    assert stranger_key.get(f"{API}/anomalies").status_code == 401
    assert stranger_key.post(f"{API}/budgets/{Budget.objects.get().pk}", {"amount": "1"}).status_code == 401
