"""Writes of detector results: upsert candidates as recommendations, resolve what went away."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from recommendations.detectors.base import Candidate
from recommendations.models import EvidenceLine, Recommendation, RecommendationRun, Status, StatusChange


@dataclass(frozen=True)
class StoreResult:
    created: int
    updated: int
    resolved: int


def _figures(candidate: Candidate) -> dict[str, object]:
    return {
        "detector": candidate.detector,
        "category": candidate.category,
        "title": candidate.title,
        "account_id": candidate.account_id,
        "region": candidate.region,
        "resource_id": candidate.resource_id,
        "resource_type": candidate.resource_type,
        "currency": candidate.currency,
        "monthly_cost": candidate.monthly_cost,
        "monthly_savings": candidate.monthly_savings,
        "savings_method": candidate.method,
        "confidence": candidate.confidence,
        "confirm_with": candidate.confirm_with,
        "facts": candidate.facts,
        "window_start": candidate.window_start,
        "window_end": candidate.window_end,
        "evidence_fingerprint": candidate.fingerprint,
    }


def _evidence_lines(recommendation: Recommendation, candidate: Candidate) -> list[EvidenceLine]:
    return [
        EvidenceLine(
            recommendation=recommendation,
            position=position,
            label=line.label[:300],
            resource_id=line.resource_id,
            usage_type=line.usage_type[:300],
            period_start=line.period_start,
            period_end=line.period_end,
            quantity=line.quantity,
            unit=line.unit[:100],
            effective_cost=line.effective_cost,
            coverage=line.coverage,
        )
        for position, line in enumerate(candidate.evidence)
    ]


@transaction.atomic
def candidates_store(*, run: RecommendationRun, candidates: list[Candidate]) -> StoreResult:
    """Create or refresh one recommendation per candidate key; deactivate those no longer found.

    Workflow state (status, reasons, snoozes) survives a refresh; a recommendation that went
    away and comes back keeps its history.
    """
    now = timezone.now()
    by_key = {candidate.key: candidate for candidate in candidates}
    existing = {r.key: r for r in Recommendation.objects.select_for_update().filter(key__in=list(by_key))}
    created = updated = 0
    for key, candidate in by_key.items():
        recommendation = existing.get(key)
        if recommendation is None:
            recommendation = Recommendation.objects.create(
                key=key,
                effort=candidate.effort,
                last_run=run,
                first_seen_at=now,
                last_seen_at=now,
                **_figures(candidate),
            )
            created += 1
        else:
            for name, value in _figures(candidate).items():
                setattr(recommendation, name, value)
            if not recommendation.rationale_source:
                recommendation.effort = candidate.effort
            recommendation.is_active = True
            recommendation.last_seen_at = now
            recommendation.last_run = run
            recommendation.save()
            recommendation.evidence.all().delete()
            updated += 1
        EvidenceLine.objects.bulk_create(_evidence_lines(recommendation, candidate))
    resolved = Recommendation.objects.filter(is_active=True).exclude(key__in=list(by_key)).update(is_active=False)
    return StoreResult(created=created, updated=updated, resolved=resolved)


@transaction.atomic
def snoozes_expire(*, today: datetime.date) -> int:
    """Snoozed recommendations whose date has come are open again (recorded in their history)."""
    due = list(Recommendation.objects.select_for_update().filter(status=Status.SNOOZED, snoozed_until__lte=today))
    for recommendation in due:
        StatusChange.objects.create(
            recommendation=recommendation,
            from_status=Status.SNOOZED,
            to_status=Status.OPEN,
            reason=f"snooze ended on {recommendation.snoozed_until:%Y-%m-%d}",
            user_email="system",
        )
        recommendation.status = Status.OPEN
        recommendation.snoozed_until = None
        recommendation.status_changed_at = timezone.now()
        recommendation.save(update_fields=["status", "snoozed_until", "status_changed_at"])
    return len(due)
