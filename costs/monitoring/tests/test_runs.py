"""A run over a real (crafted, ingested) bill: anomalies, root cause, exclusions, feedback, idempotence."""

from __future__ import annotations

from typing import Any

from costs.monitoring.models import Anomaly, AnomalyStatus, Monitor, MonitorDimension
from costs.monitoring.services.monitors import anomaly_feedback_record, monitor_create, monitors_default_ensure
from costs.monitoring.services.runs import monitoring_run, run_root_causes_fill
from costs.monitoring.tests.conftest import PURCHASE_DAY, SPIKES, day_of


def _run(day: int) -> None:
    run = monitoring_run(trigger="test", today=day_of(day))
    # What the task queued on the run's commit does (test_root_cause_follow_up drives the task itself).
    run_root_causes_fill(run_id=run.pk)


def test_the_spike_is_found_on_the_total_service_and_account_monitors_with_its_cause(billed_org: Any) -> None:
    monitors_default_ensure()
    _run(110)
    found = {(a.monitor.dimension, a.dimension_value): a for a in Anomaly.objects.select_related("monitor")}
    assert set(found) == {
        (MonitorDimension.TOTAL, ""),
        (MonitorDimension.SERVICE, "Amazon Elastic Compute Cloud"),
        (MonitorDimension.ACCOUNT, "444455556666"),
    }
    total = found[(MonitorDimension.TOTAL, "")]
    assert total.start_day == day_of(SPIKES[0]) and total.actual_amount > total.expected_amount
    assert 350 < total.impact_amount < 450  # the $400 runaway instance, not the noise
    top = total.root_cause[0]
    assert top["dimensions"] == {
        "account": "444455556666",
        "service": "Amazon Elastic Compute Cloud",
        "region": "us-west-2",
        "usage_type": "",
        "resource": "i-runaway",
    }
    assert top["delta_daily"] == "400.00"


def test_purchases_and_tax_do_not_alert_usage_monitors_but_do_alert_an_all_charges_monitor(billed_org: Any) -> None:
    monitors_default_ensure()
    everything = monitor_create(user=None, name="All charges", dimension=MonitorDimension.TOTAL, usage_only=False)
    _run(125)
    purchase_day = day_of(PURCHASE_DAY)
    assert not Anomaly.objects.filter(start_day=purchase_day).exclude(monitor=everything).exists()
    assert Anomaly.objects.filter(monitor=everything, start_day=purchase_day, impact_amount__gt=5000).exists()


def test_a_run_repeated_on_the_same_data_changes_nothing(billed_org: Any) -> None:
    monitors_default_ensure()
    _run(110)
    before = list(Anomaly.objects.values_list("pk", "impact_amount", "end_day"))
    _run(110)
    assert list(Anomaly.objects.values_list("pk", "impact_amount", "end_day")) == before


def test_feedback_expected_suppresses_the_same_pattern_on_that_monitor(billed_org: Any) -> None:
    Monitor.objects.create(name="Total", dimension=MonitorDimension.TOTAL)
    _run(110)
    first = Anomaly.objects.get()
    anomaly_feedback_record(anomaly=first, user=billed_org.admin, verdict="expected")
    _run(145)
    second = Anomaly.objects.exclude(pk=first.pk).get()
    assert second.start_day == day_of(SPIKES[1])
    assert second.suppressed_by is not None and second.status == AnomalyStatus.RESOLVED


def test_without_feedback_the_second_spike_alerts_again(billed_org: Any) -> None:
    Monitor.objects.create(name="Total", dimension=MonitorDimension.TOTAL)
    _run(110)
    _run(145)
    assert [a.status for a in Anomaly.objects.order_by("start_day")] == [AnomalyStatus.OPEN, AnomalyStatus.OPEN]


def test_a_new_organization_without_a_bill_runs_cleanly(org_a: Any) -> None:
    from django_tenants.utils import tenant_context

    with tenant_context(org_a.organization):
        monitors_default_ensure()
        run = monitoring_run(trigger="test")
        assert run.status == "succeeded" and run.series == 0


def test_a_tag_monitor_judges_each_value_of_the_key(billed_org: Any) -> None:
    tags = monitor_create(user=None, name="Teams", dimension=MonitorDimension.TAG, tag_key="team")
    _run(110)
    [anomaly] = Anomaly.objects.filter(monitor=tags)
    assert anomaly.dimension_value == "web" and anomaly.start_day == day_of(SPIKES[0])
    assert 350 < anomaly.impact_amount < 450
    assert anomaly.root_cause[0]["dimensions"]["resource"] == "i-runaway"
