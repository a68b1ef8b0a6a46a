"""A monitoring run: every monitor's series through the model, anomalies stored with root cause, budgets checked.

Runs after an ingestion commits (the period is whole by then) and on demand. Stored
anomalies are keyed by monitor, series and first day, so a run repeated on the same data
changes nothing, and a later run extends an ongoing anomaly instead of raising another.
Anomalies whose alert day is older than NOTIFY_WITHIN_DAYS before the newest data (history
seen for the first time) are stored without alerting anyone.

Root cause: the anomalies a run alerts about get theirs inside the run (the alert carries it,
and suppression compares it); the biggest of the rest are explained by a follow-up task queued
when the run commits (`run_root_causes_fill`), so the run's transaction does not wait on
line-item reads; anything still unexplained gets its cause when someone opens it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from costs.monitoring.alerts.dispatch import anomaly_deliveries_create, deliveries_send_on_commit
from costs.monitoring.detection import DetectorSettings, Event, detect
from costs.monitoring.detection.rootcause import Contributor, Spend, explain
from costs.monitoring.models import (
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    Monitor,
    MonitoringRun,
    RunStatus,
    Severity,
    Suppression,
)
from costs.monitoring.services.budgets import budgets_check
from costs.selectors import (
    daily_spend_series,
    latest_cost_day,
    spend_by_combination,
    spend_by_resource,
    tag_spend_series,
)

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 150  # 12 weeks of baseline plus the ~2 months judged
NOTIFY_WITHIN_DAYS = 3
# Root cause reads line items: a run explains what it alerts about, its follow-up task the biggest
# of the rest; older anomalies seen for the first time get theirs when someone opens them.
ROOT_CAUSES_PER_RUN = 20
RESOURCE_LOOKUPS = 3  # top root-cause rows whose dominant resource is looked up in the line items
ROOT_CAUSE_BASELINE_DAYS = 14
ROOT_CAUSE_MAX_DAYS = 14
CENTS = Decimal("0.01")
SEVERITY_STEPS = (
    (Decimal(10_000), Severity.CRITICAL),
    (Decimal(1_000), Severity.HIGH),
    (Decimal(100), Severity.MEDIUM),
)


def severity_for(impact: Decimal) -> str:
    """By money: medium from 100, high from 1,000, critical from 10,000 (in the series' currency)."""
    for floor, severity in SEVERITY_STEPS:
        if impact >= floor:
            return severity
    return Severity.LOW


def monitoring_run(*, trigger: str, today: datetime.date | None = None) -> MonitoringRun:
    """Run every monitor and check every budget; one transaction, alerts queued on commit.

    A failure is recorded on the run (and re-raised) and leaves earlier anomalies intact.
    """
    # Judge up to the newest data, not the wall clock: a bill lags by a day or more.
    today = today or min(timezone.now().date(), latest_cost_day() or timezone.now().date())
    run = MonitoringRun.objects.create(trigger=trigger)
    try:
        with transaction.atomic():
            # One run at a time per organization (an ingestion's and a manual one may overlap);
            # a transaction-level lock, so it holds behind a transaction pooler too.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':monitoring_run'))")
            monitors = list(Monitor.objects.all())
            tag_series = _tag_series_by_basis(monitors, today)
            for monitor in monitors:
                _monitor_run(run, monitor, today, tag_series)
            _root_causes_queue_on_commit(run)
            budgets_check(today=today)
            deliveries_send_on_commit()
    except Exception as error:
        MonitoringRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    run.status, run.finished_at = RunStatus.SUCCEEDED, timezone.now()
    run.save(update_fields=["status", "finished_at", "series", "anomalies_new", "anomalies_updated", "through"])
    return run


def _dense(days: dict[datetime.date, Decimal | None], start: datetime.date, end: datetime.date) -> list[Decimal | None]:
    """One value per day: no rollup row means no spend (0); a NULL sum stays None (unknown, not 0)."""
    return [days.get(start + datetime.timedelta(days=k), Decimal(0)) for k in range((end - start).days + 1)]


TagSeries = dict[str, dict[tuple[str, str, str, bool], dict[datetime.date, Decimal | None]]]


def _tag_series_by_basis(monitors: Sequence[Monitor], today: datetime.date) -> TagSeries:
    """Every tag monitor's series, one line-item pass per cost basis (not one per monitor)."""
    keys_by_basis: dict[str, set[str]] = {}
    for monitor in monitors:
        if monitor.dimension == "tag":
            keys_by_basis.setdefault(monitor.cost_basis, set()).add(monitor.tag_key)
    start = today - datetime.timedelta(days=LOOKBACK_DAYS)
    return {
        basis: tag_spend_series(tag_keys=sorted(keys), start=start, end=today, basis=basis)
        for basis, keys in keys_by_basis.items()
    }


def _series_for(
    monitor: Monitor, today: datetime.date, tag_series: TagSeries
) -> dict[tuple[str, str], dict[datetime.date, Decimal | None]]:
    if monitor.dimension != "tag":
        return daily_spend_series(
            dimension=monitor.dimension,
            start=today - datetime.timedelta(days=LOOKBACK_DAYS),
            end=today,
            basis=monitor.cost_basis,
            usage_only=monitor.usage_only,
        )
    series: dict[tuple[str, str], dict[datetime.date, Decimal | None]] = {}
    for (key, value, currency, is_usage), days in tag_series.get(monitor.cost_basis, {}).items():
        if key != monitor.tag_key or (monitor.usage_only and not is_usage):
            continue
        merged = series.setdefault((value, currency), {})
        for day, amount in days.items():
            if amount is None or merged.get(day, Decimal(0)) is None:
                merged[day] = None  # an unknown part makes the day unknown, never 0
            else:
                merged[day] = merged.get(day, Decimal(0)) + amount  # type: ignore[operator]
    return series


def _monitor_run(run: MonitoringRun, monitor: Monitor, today: datetime.date, tag_series: TagSeries) -> None:
    series = _series_for(monitor, today, tag_series)
    settings = DetectorSettings(
        min_percent=float(monitor.min_impact_percent) / 100, min_daily_impact=float(monitor.min_impact_amount)
    )
    through = max((day for days in series.values() for day in days), default=None)
    if through is None:
        return
    run.through = max(run.through or through, through)
    # What the monitor already holds, read once (not one query per event): the anomalies that can
    # recur (their first day is inside the lookback) and the "expected" patterns.
    known = _Known(
        anomalies={
            (a.dimension_value, a.currency, a.start_day): a
            for a in Anomaly.objects.filter(
                monitor=monitor, start_day__gte=today - datetime.timedelta(days=LOOKBACK_DAYS)
            )
        },
        suppressions=list(Suppression.objects.filter(monitor=monitor)),
    )
    for (value, currency), days in series.items():
        first = min(days)
        amounts = _dense(days, first, through)
        run.series += 1
        detection = detect([float(a) if a is not None else None for a in amounts], settings)
        for event in detection.events:
            _anomaly_store(run, monitor, value, currency, first, amounts, detection.expected, event, through, known)


@dataclass
class _Known:
    anomalies: dict[tuple[str, str, datetime.date], Anomaly]
    suppressions: list[Suppression]


def _anomaly_store(
    run: MonitoringRun,
    monitor: Monitor,
    value: str,
    currency: str,
    first: datetime.date,
    amounts: Sequence[Decimal | None],
    expected_by_day: Sequence[float | None],
    event: Event,
    through: datetime.date,
    known: _Known,
) -> None:
    def day_of(index: int) -> datetime.date:
        return first + datetime.timedelta(days=index)

    actual = sum((a for a in amounts[event.start : event.end + 1] if a is not None), Decimal(0))
    expected = sum(
        (
            Decimal(repr(round(event.expected(d), 2)))
            for d in range(event.start, event.end + 1)
            if amounts[d] is not None
        ),
        Decimal(0),
    )
    impact = actual - expected
    if impact < monitor.min_impact_amount or impact <= 0:
        return
    percent = (impact / expected * 100).quantize(Decimal("0.1")) if expected > 0 else Decimal("999999.9")
    kind = (
        AnomalyKind.CHANGE
        if event.confirmed_change
        else AnomalyKind(event.trigger if event.trigger == "sustained" else "spike")
    )
    chart_from, chart_to = max(0, event.start - 28), min(len(amounts) - 1, event.end + 14)
    daily = [
        {
            "day": day_of(d).isoformat(),
            "actual": None if amounts[d] is None else str(amounts[d]),
            "expected": None if expected_by_day[d] is None else f"{expected_by_day[d]:.2f}",
            "in_anomaly": event.start <= d <= event.end,
        }
        for d in range(chart_from, chart_to + 1)
    ]
    fields = {
        "kind": kind,
        "end_day": day_of(event.end),
        "detected_day": day_of(event.detected),
        "ongoing": event.ongoing,
        "expected_amount": expected.quantize(CENTS),
        "actual_amount": actual.quantize(CENTS),
        "impact_amount": impact.quantize(CENTS),
        "impact_percent": percent,
        "severity": severity_for(impact),
        "daily": daily,
        "updated_at": timezone.now(),
    }
    anomaly = known.anomalies.get((value, currency, day_of(event.start)))
    fresh = day_of(event.detected) >= through - datetime.timedelta(days=NOTIFY_WITHIN_DAYS)
    if anomaly is not None:
        if anomaly.end_day != fields["end_day"]:
            anomaly.root_cause_done = False  # explained again at the end of the run or when opened
        for name, field_value in fields.items():
            setattr(anomaly, name, field_value)
        anomaly.save()
        run.anomalies_updated += 1
        return
    anomaly = Anomaly(
        monitor=monitor, dimension_value=value, currency=currency, start_day=day_of(event.start), **fields
    )
    if fresh:  # alerts carry their cause, and suppression compares causes
        anomaly_root_cause_fill(anomaly)
    anomaly.suppressed_by = suppression_matching(anomaly, known.suppressions)
    if anomaly.suppressed_by is not None:
        anomaly.status = AnomalyStatus.RESOLVED
    anomaly.save()
    known.anomalies[(value, currency, anomaly.start_day)] = anomaly
    run.anomalies_new += 1
    if fresh and not monitor.is_muted and anomaly.suppressed_by is None:
        anomaly_deliveries_create(anomaly=anomaly)


def _run_pending(run: MonitoringRun) -> Any:
    """The run's anomalies still without a cause, biggest first."""
    return Anomaly.objects.filter(root_cause_done=False, updated_at__gte=run.started_at).order_by("-impact_amount")


def _root_causes_queue_on_commit(run: MonitoringRun) -> None:
    """Queue the follow-up that explains the run's biggest unexplained anomalies, once the run commits."""
    if not _run_pending(run).exists():
        return
    from costs.monitoring.tasks import root_causes_fill

    run_id = run.pk
    transaction.on_commit(lambda: root_causes_fill.delay(run_id))


def run_root_causes_fill(*, run_id: int) -> int:
    """Explain a committed run's biggest anomalies still without a cause (bounded: root cause reads line items).

    Each in its own short transaction with the anomaly's row locked, so a later run that
    extends the anomaly meanwhile is not overwritten with a cause of the older window.
    Returns how many were explained.
    """
    run = MonitoringRun.objects.filter(pk=run_id).first()
    if run is None:
        return 0
    explained = 0
    for anomaly_id in list(_run_pending(run).values_list("pk", flat=True)[:ROOT_CAUSES_PER_RUN]):
        with transaction.atomic():
            anomaly = (
                Anomaly.objects.select_for_update(of=("self",))
                .select_related("monitor")
                .filter(pk=anomaly_id, root_cause_done=False)
                .first()
            )
            if anomaly is None:  # explained meanwhile (opened by someone, or a newer run's follow-up)
                continue
            anomaly_root_cause_fill(anomaly)
            anomaly.save(update_fields=["root_cause", "root_cause_done"])
            explained += 1
    return explained


def anomaly_root_cause_fill(anomaly: Anomaly) -> Anomaly:
    """Compute the anomaly's root cause (not saved: the caller saves)."""
    anomaly.root_cause = _root_cause(anomaly.monitor, anomaly)
    anomaly.root_cause_done = True
    return anomaly


@transaction.atomic
def anomaly_root_cause_ensure(*, anomaly: Anomaly) -> Anomaly:
    """The root cause of an anomaly, computed on first need (an older anomaly a run did not explain)."""
    if not anomaly.root_cause_done:
        anomaly_root_cause_fill(anomaly)
        anomaly.save(update_fields=["root_cause", "root_cause_done"])
    return anomaly


def _dominant_resource(
    monitor: Monitor,
    anomaly: Anomaly,
    contributor: Contributor,
    baseline: tuple[datetime.date, datetime.date],
    window: tuple[datetime.date, datetime.date],
) -> str | None:
    """The resource carrying at least half of a contributor's increase, if one does."""
    if "resource" in contributor.dimensions:
        return None
    resources = spend_by_resource(
        combination=contributor.dimensions,
        currency=anomaly.currency,
        baseline=baseline,
        window=window,
        basis=monitor.cost_basis,
        usage_only=monitor.usage_only,
        limit=1,
    )
    if not resources:
        return None
    resource, before, during = resources[0]
    days = (window[1] - window[0]).days + 1
    delta = during / days - before / ((baseline[1] - baseline[0]).days + 1)
    return resource if delta * 2 >= contributor.delta_daily else None


def _root_cause(monitor: Monitor, anomaly: Anomaly) -> list[dict[str, object]]:
    window_end = min(anomaly.end_day, anomaly.start_day + datetime.timedelta(days=ROOT_CAUSE_MAX_DAYS - 1))
    baseline = (
        anomaly.start_day - datetime.timedelta(days=ROOT_CAUSE_BASELINE_DAYS),
        anomaly.start_day - datetime.timedelta(days=1),
    )
    rows = spend_by_combination(
        dimension=monitor.dimension,
        value=anomaly.dimension_value,
        currency=anomaly.currency,
        baseline=baseline,
        window=(anomaly.start_day, window_end),
        basis=monitor.cost_basis,
        usage_only=monitor.usage_only,
        tag_key=monitor.tag_key,
    )
    contributors = explain(
        (
            Spend(r.account, r.service, r.region, r.usage_type, r.resource, r.baseline_total, r.anomaly_total)
            for r in rows
        ),
        baseline_days=ROOT_CAUSE_BASELINE_DAYS,
        anomaly_days=(window_end - anomaly.start_day).days + 1,
    )
    for contributor in contributors[:RESOURCE_LOOKUPS]:
        resource = _dominant_resource(monitor, anomaly, contributor, baseline, (anomaly.start_day, window_end))
        if resource:
            contributor.dimensions["resource"] = resource
    return [
        {
            "dimensions": c.dimensions,
            "baseline_daily": str(c.baseline_daily),
            "anomaly_daily": str(c.anomaly_daily),
            "delta_daily": str(c.delta_daily),
            "share": str(c.share),
        }
        for c in contributors
    ]


def top_contributor(anomaly: Anomaly) -> dict[str, str]:
    """The dimensions of the biggest root-cause row, without the resource (patterns outlive resources)."""
    if not anomaly.root_cause:
        return {}
    return {k: v for k, v in anomaly.root_cause[0]["dimensions"].items() if k != "resource"}


def suppression_matching(anomaly: Anomaly, monitor_suppressions: list[Suppression] | None = None) -> Suppression | None:
    """An "expected" pattern of this series that covers the anomaly: same top contributor, no bigger.

    `monitor_suppressions`: the monitor's suppressions already read (newest first), else they are read here.
    """
    if monitor_suppressions is None:
        monitor_suppressions = list(Suppression.objects.filter(monitor=anomaly.monitor))
    for suppression in monitor_suppressions:
        if suppression.dimension_value != anomaly.dimension_value:
            continue
        if anomaly.impact_percent > suppression.max_impact_percent:
            continue
        if suppression.contributor and not anomaly.root_cause_done:
            anomaly_root_cause_fill(anomaly)  # the pattern is defined by its cause
        top = top_contributor(anomaly)
        if suppression.contributor and suppression.contributor != top:
            continue
        return suppression
    return None
