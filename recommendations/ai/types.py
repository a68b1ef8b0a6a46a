"""What a rationale writer gets (a candidate reduced to what the model needs) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

LEVELS = ("low", "medium", "high")
STEP_KINDS = ("console", "cli", "iac")


@dataclass(frozen=True)
class CandidateBrief:
    """A recommendation as the model sees it: ids, figures and resource types, nothing else.

    No tags, names, account names or free text from the bill: only what the detector computed.
    """

    id: str
    detector: str
    category: str
    title: str
    resource_type: str
    resource_id: str
    account_id: str
    region: str
    currency: str
    monthly_cost: str
    monthly_savings: str
    savings_method: str
    confidence: str
    confirm_with: str
    effort: str
    facts: dict[str, str] = field(default_factory=dict)

    def as_prompt(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.detector,
            "category": self.category,
            "title": self.title,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "account_id": self.account_id,
            "region": self.region,
            "currency": self.currency,
            "monthly_cost": self.monthly_cost,
            "monthly_savings": self.monthly_savings,
            "how_savings_were_computed": self.savings_method,
            "confidence": self.confidence,
            "would_confirm": self.confirm_with,
            "facts": self.facts,
        }


@dataclass(frozen=True)
class Step:
    kind: str  # console | cli | iac
    text: str


@dataclass(frozen=True)
class Rationale:
    id: str
    priority: str
    rationale: str
    risk: str
    effort: str
    steps: tuple[Step, ...]

    def steps_json(self) -> list[dict[str, str]]:
        return [{"kind": step.kind, "text": step.text} for step in self.steps]


@dataclass
class WriteResult:
    """What a provider produced for one request: rationales by id, and what was rejected."""

    rationales: dict[str, Rationale] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # id -> why


class RationaleProvider(Protocol):
    name: str
    model_id: str

    def write(self, briefs: list[CandidateBrief]) -> WriteResult: ...
