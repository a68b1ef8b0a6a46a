"""Root causes a run does not alert about are filled by a follow-up task queued when the run commits."""

from __future__ import annotations

from typing import Any

from costs.monitoring.models import Anomaly, Monitor, MonitorDimension
from costs.monitoring.services.runs import anomaly_root_cause_ensure, monitoring_run, run_root_causes_fill
from costs.monitoring.tests.conftest import SPIKES, day_of


def _eager(settings: Any) -> Any:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from finops.celery import app

    app.conf.task_always_eager = True
    return app


def test_an_old_anomaly_is_explained_by_the_task_queued_on_commit_not_inside_the_run(
    billed_org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Monitor.objects.create(name="Total", dimension=MonitorDimension.TOTAL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        monitoring_run(trigger="test", today=day_of(110))  # the spike was 10 days ago: no alert
    anomaly = Anomaly.objects.get()
    assert anomaly.start_day == day_of(SPIKES[0])
    assert not anomaly.root_cause_done and anomaly.root_cause == []  # the run did not read line items for it
    assert len(callbacks) == 2  # alert deliveries, and the root-cause follow-up
    app = _eager(settings)
    try:
        for callback in callbacks:  # what happens when the run's transaction commits
            callback()
    finally:
        app.conf.task_always_eager = False
    anomaly.refresh_from_db()
    assert anomaly.root_cause_done
    top = anomaly.root_cause[0]
    assert top["dimensions"]["resource"] == "i-runaway" and top["dimensions"]["region"] == "us-west-2"
    assert top["delta_daily"] == "400.00"


def test_an_anomaly_the_run_alerts_about_is_explained_inside_the_run(
    billed_org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Monitor.objects.create(name="Total", dimension=MonitorDimension.TOTAL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        monitoring_run(trigger="test", today=day_of(101))  # the spike is yesterday's news: it alerts
    anomaly = Anomaly.objects.get()
    assert anomaly.root_cause_done and anomaly.root_cause[0]["dimensions"]["resource"] == "i-runaway"
    assert len(callbacks) == 1  # alert deliveries only: nothing left for a follow-up


def test_the_follow_up_skips_what_was_explained_meanwhile_and_is_safe_to_run_twice(billed_org: Any) -> None:
    Monitor.objects.create(name="Total", dimension=MonitorDimension.TOTAL)
    Monitor.objects.create(name="Services", dimension=MonitorDimension.SERVICE)
    run = monitoring_run(trigger="test", today=day_of(110))
    opened = Anomaly.objects.select_related("monitor").get(monitor__dimension=MonitorDimension.SERVICE)
    anomaly_root_cause_ensure(anomaly=opened)  # someone opened it before the task ran
    assert run_root_causes_fill(run_id=run.pk) == 1  # only the total's
    assert run_root_causes_fill(run_id=run.pk) == 0
    assert all(a.root_cause_done for a in Anomaly.objects.all())
