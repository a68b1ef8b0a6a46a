"""Which rationale writer a run uses, and the interface every writer offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from recommendations.ai.offline import OfflineProvider
from recommendations.ai.types import CandidateBrief, Rationale

# (brief id, rationale, source: "ai" | "offline" | "plain", model id)
OnRationale = Callable[[str, Rationale, str, str], None]


@dataclass
class WriteOutcome:
    written: int = 0
    pending: int = 0  # not written this run (budget, errors): picked up by the next run
    service_tier: str = ""
    batch_job_arn: str = ""
    batch_job_keys: list[dict[str, Any]] = field(default_factory=list)


class Writer(Protocol):
    def write_all(self, briefs: list[CandidateBrief], *, on_rationale: OnRationale) -> WriteOutcome: ...


class OfflineWriter:
    """Templates for everything, at once; labelled "not AI" in the UI."""

    def __init__(self) -> None:
        self.provider = OfflineProvider()

    def write_all(self, briefs: list[CandidateBrief], *, on_rationale: OnRationale) -> WriteOutcome:
        result = self.provider.write(briefs)
        for brief_id, rationale in result.rationales.items():
            on_rationale(brief_id, rationale, "offline", self.provider.model_id)
        return WriteOutcome(written=len(result.rationales))


def writer_for(*, provider: str, run_id: int | None, nightly: bool = False) -> Writer:
    if provider == "bedrock":
        from recommendations.ai.bedrock_writer import BedrockWriter

        return BedrockWriter(run_id=run_id, nightly=nightly)
    if provider != "offline":
        raise ValueError(f"unknown RECOMMENDATIONS_PROVIDER {provider!r}; expected offline or bedrock")
    return OfflineWriter()


def configured_provider() -> str:
    return str(settings.RECOMMENDATIONS_PROVIDER)
