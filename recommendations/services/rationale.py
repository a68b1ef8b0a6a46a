"""Writes of rationale: pick what needs advice, have the configured writer write it, save each answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from recommendations import selectors
from recommendations.ai.types import Rationale
from recommendations.ai.writer import writer_for
from recommendations.models import Recommendation, RecommendationRun, RunTrigger


@dataclass
class RationaleOutcome:
    written: int = 0
    cached: int = 0
    pending: int = 0
    service_tier: str = ""
    batch_job_arn: str = ""
    batch_job_keys: list[str] = field(default_factory=list)


@transaction.atomic
def rationale_apply(
    *, recommendation_id: int, fingerprint: str, rationale: Rationale, source: str, model_id: str
) -> bool:
    """Save one rationale, unless the evidence changed since it was asked for (then it is stale)."""
    updated = Recommendation.objects.filter(pk=recommendation_id, evidence_fingerprint=fingerprint).update(
        priority=rationale.priority,
        rationale=rationale.rationale,
        risk=rationale.risk,
        effort=rationale.effort,
        steps=rationale.steps_json(),
        rationale_source=source,
        rationale_model=model_id,
        rationale_fingerprint=fingerprint,
        rationale_at=timezone.now(),
    )
    return bool(updated)


def rationales_refresh(*, run: RecommendationRun) -> RationaleOutcome:
    """Write rationale for every active recommendation that lacks a current one; count the cached rest."""
    provider = run.provider or "offline"
    todo, cached = selectors.rationale_todo(provider=provider)
    by_brief = {selectors.brief_id(r): r for r in todo}
    briefs = [selectors.brief_of(r) for r in todo]

    def on_rationale(brief_id: str, rationale: Rationale, source: str, model_id: str) -> None:
        recommendation = by_brief[brief_id]
        rationale_apply(
            recommendation_id=recommendation.pk,
            fingerprint=recommendation.evidence_fingerprint,
            rationale=rationale,
            source=source,
            model_id=model_id,
        )

    writer = writer_for(provider=provider, run_id=run.pk, nightly=run.trigger == RunTrigger.NIGHTLY)
    outcome = writer.write_all(briefs, on_rationale=on_rationale)
    return RationaleOutcome(
        written=outcome.written,
        cached=cached,
        pending=outcome.pending,
        service_tier=outcome.service_tier,
        batch_job_arn=outcome.batch_job_arn,
        batch_job_keys=outcome.batch_job_keys,
    )
