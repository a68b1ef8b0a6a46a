"""Writes of rationale: pick what needs advice, have the configured writer write it, save each answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from recommendations import selectors
from recommendations.ai.types import Rationale
from recommendations.ai.writer import writer_for
from recommendations.models import RationaleSource, Recommendation, RecommendationRun, RunTrigger


@dataclass
class RationaleOutcome:
    written: int = 0
    cached: int = 0
    pending: int = 0
    service_tier: str = ""
    batch_job_arn: str = ""
    batch_job_keys: list[dict[str, Any]] = field(default_factory=list)


@transaction.atomic
def rationale_apply(
    *, recommendation_id: int, fingerprint: str, rationale: Rationale, source: str, model_id: str
) -> bool:
    """Save one rationale, unless the evidence changed since it was asked for (then it is stale).

    source "pending": the model could not be asked this time; a plain rationale is shown only if
    there is none yet, and the empty fingerprint keeps it on the list for the next run.
    """
    rows = Recommendation.objects.filter(pk=recommendation_id, evidence_fingerprint=fingerprint)
    if source == "pending":
        return bool(
            rows.filter(rationale="").update(
                priority=rationale.priority,
                rationale=rationale.rationale,
                risk=rationale.risk,
                steps=rationale.steps_json(),
                rationale_source=RationaleSource.PLAIN,
                rationale_fingerprint="",
                rationale_at=timezone.now(),
            )
        )
    updated = rows.update(
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


def rationale_callback(by_brief: dict[str, Recommendation]) -> Callable[[str, Rationale, str, str], None]:
    """What a writer calls with each rationale it has: save it against the brief's recommendation."""

    def on_rationale(brief_id: str, rationale: Rationale, source: str, model_id: str) -> None:
        recommendation = by_brief.get(brief_id)
        if recommendation is None:
            return
        rationale_apply(
            recommendation_id=recommendation.pk,
            fingerprint=recommendation.evidence_fingerprint,
            rationale=rationale,
            source=source,
            model_id=model_id,
        )

    return on_rationale


def rationales_refresh(*, run: RecommendationRun) -> RationaleOutcome:
    """Write rationale for every active recommendation that lacks a current one; count the cached rest."""
    provider = run.provider or "offline"
    todo, cached = selectors.rationale_todo(provider=provider)
    briefs = [selectors.brief_of(r) for r in todo]
    on_rationale = rationale_callback({selectors.brief_id(r): r for r in todo})
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
