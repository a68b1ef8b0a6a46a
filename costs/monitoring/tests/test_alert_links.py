"""Alert emails link to the organization's site as configured (scheme, base domain, port), like every emailed link."""

from __future__ import annotations

from typing import Any

from django.core import mail

from costs.monitoring.alerts.dispatch import deliveries_send_due
from costs.monitoring.models import Monitor, MonitorDimension
from costs.monitoring.services.monitors import subscription_create
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import day_of


def test_an_anomaly_email_links_to_the_configured_organization_site(billed_org: Any) -> None:
    Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
    subscription_create(user=billed_org.viewer, channel="email", min_severity="low")
    monitoring_run(trigger="test", today=day_of(101))

    deliveries_send_due()

    [message] = mail.outbox
    assert "http://acme.localhost:8000/anomalies/" in message.body
    assert "https://" not in message.body
