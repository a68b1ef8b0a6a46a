"""Checking the model's answer: parseable, one entry per id we sent, no id we did not, no invented numbers.

The savings figure is never taken from the model; an answer that quotes an amount the detector did
not compute (a different saving, a rounded cost) is rejected for that candidate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from recommendations.ai.types import LEVELS, STEP_KINDS, CandidateBrief, Rationale, Step

AMOUNT = re.compile(r"(?:\$|USD\s?)\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:USD|dollars)", re.I)
MAX_TEXT = 4000
MAX_STEPS = 12


class MalformedAnswer(ValueError):
    """The answer is not the JSON object the schema asks for."""


@dataclass
class Verdict:
    accepted: dict[str, Rationale] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # id -> reason
    unknown_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.rejected:
            parts.append("rejected " + "; ".join(f"{i}: {why}" for i, why in sorted(self.rejected.items())))
        if self.unknown_ids:
            parts.append("unknown ids " + ", ".join(sorted(self.unknown_ids)))
        return " | ".join(parts)


def parse_answer(*, text: str, tool_input: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The list of entries from a text (json_schema) or tool answer; MalformedAnswer otherwise."""
    data: Any = tool_input
    if data is None:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise MalformedAnswer(f"not JSON: {error}") from error
    items = data.get("recommendations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedAnswer("no `recommendations` list in the answer")
    return items


def _amounts(text: str) -> list[Decimal]:
    found = []
    for match in AMOUNT.finditer(text):
        raw = (match.group(1) or match.group(2) or "").replace(",", "")
        try:
            found.append(Decimal(raw))
        except InvalidOperation:
            continue
    return found


def allowed_amounts(brief: CandidateBrief) -> set[Decimal]:
    """Every amount the detector computed for the candidate, as the candidate states them."""
    texts = [brief.monthly_savings, brief.monthly_cost, brief.savings_method, *brief.facts.values()]
    allowed = {Decimal(brief.monthly_savings), Decimal(brief.monthly_cost)}
    for text in texts:
        allowed.update(_amounts(text))
        for number in re.findall(r"\d[\d,]*(?:\.\d+)?", text):
            allowed.add(Decimal(number.replace(",", "")))
    return allowed


def _contradiction(brief: CandidateBrief, text: str) -> str:
    allowed = allowed_amounts(brief)
    for amount in _amounts(text):
        if not any(abs(amount - ok) <= Decimal("0.005") for ok in allowed):
            return f"quotes ${amount} which the computation does not contain (savings ${brief.monthly_savings})"
    return ""


def _rationale(item: dict[str, Any], brief: CandidateBrief) -> tuple[Rationale | None, str]:
    priority, effort = item.get("priority"), item.get("effort")
    rationale, risk, steps = item.get("rationale"), item.get("risk"), item.get("steps")
    if priority not in LEVELS or effort not in LEVELS:
        return None, "priority/effort not one of low, medium, high"
    if not isinstance(rationale, str) or not rationale.strip() or len(rationale) > MAX_TEXT:
        return None, "rationale missing or too long"
    if not isinstance(risk, str) or len(risk) > MAX_TEXT:
        return None, "risk missing or too long"
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        return None, "steps missing or too many"
    parsed = []
    for step in steps:
        if not isinstance(step, dict) or step.get("kind") not in STEP_KINDS or not isinstance(step.get("text"), str):
            return None, "a step is not {kind: console|cli|iac, text}"
        parsed.append(Step(kind=step["kind"], text=step["text"][:MAX_TEXT]))
    everything = " ".join([rationale, risk, *(s.text for s in parsed)])
    contradiction = _contradiction(brief, everything)
    if contradiction:
        return None, contradiction
    return Rationale(
        id=brief.id,
        priority=priority,
        rationale=rationale.strip(),
        risk=risk.strip(),
        effort=effort,
        steps=tuple(parsed),
    ), ""


def validate(items: list[dict[str, Any]], briefs: list[CandidateBrief]) -> Verdict:
    """Accept each well-formed, consistent entry for an id we sent; reject the rest by id."""
    by_id = {brief.id: brief for brief in briefs}
    verdict = Verdict()
    for item in items:
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str) or item_id not in by_id:
            verdict.unknown_ids.append(str(item_id))
            continue
        if item_id in verdict.accepted or item_id in verdict.rejected:
            continue  # the first answer for an id counts
        rationale, why = _rationale(item, by_id[item_id])
        if rationale is None:
            verdict.rejected[item_id] = why
        else:
            verdict.accepted[item_id] = rationale
    for brief_id in by_id:
        if brief_id not in verdict.accepted and brief_id not in verdict.rejected:
            verdict.rejected[brief_id] = "missing from the answer"
    return verdict
