"""Alerts: email in the outbox, Slack to a local receiver with a failure and a retry, budgets once, digests."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from costs.monitoring.alerts.dispatch import MAX_ATTEMPTS, deliveries_send_due, digests_create
from costs.monitoring.models import AlertDelivery, BudgetAlert, DeliveryStatus, Monitor, MonitorDimension
from costs.monitoring.services.budgets import budget_create, budgets_check
from costs.monitoring.services.monitors import subscription_create
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import day_of


class SlackReceiver:
    """A local HTTP server standing in for Slack's incoming webhook: answers from a script of status codes."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses: list[int] = statuses
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"internal_error")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/x"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def total_monitor(billed_org: Any) -> Iterator[Monitor]:
    yield Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)


def test_an_anomaly_reaches_the_subscribers_email_with_its_cause(billed_org: Any, total_monitor: Monitor) -> None:
    subscription_create(user=billed_org.viewer, channel="email", min_severity="low")
    monitoring_run(trigger="test", today=day_of(101))
    assert deliveries_send_due() == {"sent": 1, "failed": 0}
    [message] = mail.outbox
    assert message.to == [billed_org.viewer.email]
    assert "above expected" in message.subject and "USD" in message.subject or "$" in message.subject
    assert "us-west-2" in message.body and "i-runaway" in message.body


def test_history_seen_for_the_first_time_is_stored_without_alerting(billed_org: Any, total_monitor: Monitor) -> None:
    subscription_create(user=billed_org.viewer, channel="email", min_severity="low")
    monitoring_run(trigger="test", today=day_of(110))  # the spike was 10 days ago
    assert total_monitor.anomalies.count() == 1
    assert not AlertDelivery.objects.exists()


def test_slack_fails_once_then_the_retry_delivers_and_detection_never_noticed(
    billed_org: Any, total_monitor: Monitor
) -> None:
    with SlackReceiver([500]) as slack:
        subscription_create(user=billed_org.admin, channel="slack", slack_webhook_url=slack.url, min_severity="low")
        run = monitoring_run(trigger="test", today=day_of(101))
        assert run.status == "succeeded"
        assert deliveries_send_due() == {"sent": 0, "failed": 1}
        delivery = AlertDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert "500" in delivery.last_error and delivery.next_attempt_at > timezone.now()
        assert deliveries_send_due() == {"sent": 0, "failed": 0}  # not due yet
        assert deliveries_send_due(now=timezone.now() + datetime.timedelta(hours=1)) == {"sent": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(slack.bodies) == 2 and "i-runaway" in slack.bodies[1]["text"]


def test_an_unreachable_slack_is_given_up_after_the_last_attempt(billed_org: Any, total_monitor: Monitor) -> None:
    with SlackReceiver([]) as slack:
        url = slack.url
    subscription_create(user=billed_org.admin, channel="slack", slack_webhook_url=url, min_severity="low")
    monitoring_run(trigger="test", today=day_of(101))
    later = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        later += datetime.timedelta(hours=3)
        deliveries_send_due(now=later)
    delivery = AlertDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert "could not be reached" in delivery.last_error


def test_a_member_who_left_gets_no_more_alerts(billed_org: Any, total_monitor: Monitor) -> None:
    from tenants.models import Membership

    subscription_create(user=billed_org.viewer, channel="email", min_severity="low")
    Membership.objects.filter(user=billed_org.viewer).delete()
    monitoring_run(trigger="test", today=day_of(101))
    assert deliveries_send_due() == {"sent": 0, "failed": 1}
    assert mail.outbox == []
    assert "no longer a member" in AlertDelivery.objects.get().last_error


def test_a_slack_subscription_needs_https(billed_org: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="https"):
        subscription_create(user=billed_org.admin, channel="slack", slack_webhook_url="http://hooks.example.com/x")


def test_budget_thresholds_on_actual_and_forecast_alert_once_per_period(billed_org: Any) -> None:
    subscription_create(user=billed_org.viewer, channel="email")
    # March 2025 runs at ~$108/day: by March 10 actual ~ $1,040 (80% of 1,200), forecast ~ $3,400.
    budget = budget_create(
        user=billed_org.admin, name="All AWS", amount=1200, actual_thresholds=[80, 100], forecast_thresholds=[100]
    )
    today = datetime.date(2025, 3, 10)
    crossed = budgets_check(today=today)
    assert sorted((str(a.basis), a.threshold) for a in crossed) == [("actual", 80), ("forecast", 100)]
    assert budgets_check(today=today) == []
    later = budgets_check(today=datetime.date(2025, 3, 15))
    assert [(str(a.basis), a.threshold) for a in later] == [("actual", 100)]
    assert BudgetAlert.objects.filter(budget=budget, basis="actual", threshold=80).count() == 1
    deliveries_send_due()
    assert any("All AWS" in m.subject for m in mail.outbox)
    june = budgets_check(today=datetime.date(2025, 4, 9))
    assert {(a.period, a.basis, a.threshold) for a in june} >= {(datetime.date(2025, 4, 1), "forecast", 100)}


def test_the_daily_digest_collects_the_days_anomalies_once(billed_org: Any, total_monitor: Monitor) -> None:
    subscription_create(user=billed_org.viewer, channel="email", frequency="daily", min_severity="low")
    monitoring_run(trigger="test", today=day_of(101))
    assert not AlertDelivery.objects.exists()  # digest subscribers get nothing immediately
    tomorrow = timezone.now().date() + datetime.timedelta(days=1)
    assert digests_create(day=tomorrow) == 1 and digests_create(day=tomorrow) == 0
    deliveries_send_due()
    [message] = mail.outbox
    assert message.subject.startswith("Cost digest: 1 new anomaly")
