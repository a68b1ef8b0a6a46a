"""A recommendations run: read the bill, run the detectors, store the results, write the rationale.

Runs are claimed in the database (one at a time per organization) and record what they did.
The model is called outside any transaction; each answer is saved as it arrives.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from costs.selectors import resources as bill
from recommendations.detectors import detect_all
from recommendations.detectors.base import Candidate, DetectorInput, Signals
from recommendations.models import RecommendationRun, RunStatus, RunTrigger
from recommendations.pricing import price_book
from recommendations.services.rationale import rationales_refresh
from recommendations.services.signals import signals_collect
from recommendations.services.store import candidates_store, snoozes_expire

logger = logging.getLogger(__name__)

WINDOW_DAYS = 30
# A run still "running" after this long died with its worker; the next run takes over.
ABANDONED_AFTER = datetime.timedelta(hours=2)


@transaction.atomic
def run_start(*, trigger: str = RunTrigger.MANUAL) -> RecommendationRun:
    """A new run, or one recorded as skipped when another run of this organization is under way."""
    with connection.cursor() as cursor:
        # Transaction-scoped, so it is safe behind a transaction pooler; keyed by schema.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':recommendations-run'))")
    now = timezone.now()
    RecommendationRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - ABANDONED_AFTER).update(
        status=RunStatus.FAILED, error="abandoned (its worker stopped)", finished_at=now
    )
    if RecommendationRun.objects.filter(status=RunStatus.RUNNING).exists():
        return RecommendationRun.objects.create(trigger=trigger, status=RunStatus.SKIPPED, finished_at=now)
    return RecommendationRun.objects.create(trigger=trigger, provider=settings.RECOMMENDATIONS_PROVIDER)


def detector_input(*, today: datetime.date, signals: Signals | None = None) -> DetectorInput | None:
    """The last 30 days of the bill (ending on its last day of usage), as the detectors take it."""
    last = bill.usage_last_day()
    if last is None:
        return None
    start = last - datetime.timedelta(days=WINDOW_DAYS - 1)
    usage = bill.resource_usage(start=start, end=last)
    snapshots = sorted({row.resource_id for row in usage if "SnapshotUsage" in row.usage_type})
    period = bill.last_complete_billing_period(today=today)
    return DetectorInput(
        window_start=start,
        window_end=last,
        usage=usage,
        first_seen=bill.resources_first_seen(resource_ids=snapshots),
        commitments=bill.commitment_usage(billing_period=period) if period else [],
        commitments_period=period,
        on_demand_daily=bill.on_demand_compute_daily(start=start, end=last),
        signals=signals or Signals(),
    )


def run_detect(*, today: datetime.date) -> tuple[DetectorInput | None, list[Candidate]]:
    inputs = detector_input(today=today)
    if inputs is None:
        return None, []
    signals = signals_collect(usage=inputs.usage, start=inputs.window_start, end=inputs.window_end)
    inputs = dataclasses.replace(inputs, signals=signals)
    return inputs, detect_all(inputs, price_book())


def run_execute(*, run: RecommendationRun, today: datetime.date | None = None) -> RecommendationRun:
    """Detect, store and write rationale for a started run; records the outcome on it."""
    today = today or timezone.now().date()
    try:
        inputs, candidates = run_detect(today=today)
        if inputs is not None:
            run.window_start, run.window_end = inputs.window_start, inputs.window_end
        stored = candidates_store(run=run, candidates=candidates)
        snoozes_expire(today=today)
        run.candidates = len(candidates)
        run.created, run.updated, run.resolved = stored.created, stored.updated, stored.resolved
        run.save()
        outcome = rationales_refresh(run=run)
    except Exception as error:
        run.status = RunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"
        run.finished_at = timezone.now()
        run.save()
        raise
    run.rationales_written = outcome.written
    run.rationales_cached = outcome.cached
    run.rationales_pending = outcome.pending
    run.service_tier = outcome.service_tier
    if outcome.batch_job_arn:
        run.status = RunStatus.WAITING
        run.batch_job_arn = outcome.batch_job_arn
        run.batch_job_keys = outcome.batch_job_keys
    else:
        run.status = RunStatus.SUCCEEDED
        run.finished_at = timezone.now()
    run.save()
    logger.info(
        "recommendations run %s: %s candidates (%s new, %s resolved), %s rationales written, %s cached, %s pending",
        run.pk,
        run.candidates,
        run.created,
        run.resolved,
        run.rationales_written,
        run.rationales_cached,
        run.rationales_pending,
    )
    return run


def recommendations_run(*, trigger: str = RunTrigger.MANUAL, today: datetime.date | None = None) -> RecommendationRun:
    """Start and execute a run (or record that it was skipped because another is under way)."""
    run = run_start(trigger=trigger)
    if run.status == RunStatus.SKIPPED:
        return run
    return run_execute(run=run, today=today)
