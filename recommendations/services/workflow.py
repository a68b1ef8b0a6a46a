"""Writes of the recommendation workflow: open → in progress → done, dismissed with a reason, snoozed until a date."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from recommendations.models import Recommendation, Status, StatusChange

# Where each status may go. Done and dismissed can be reopened (the advice came back, or was wrong).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.DONE, Status.DISMISSED, Status.SNOOZED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.DONE, Status.DISMISSED, Status.SNOOZED}),
    Status.SNOOZED: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.DISMISSED}),
    Status.DISMISSED: frozenset({Status.OPEN}),
    Status.DONE: frozenset({Status.OPEN}),
}
MAX_SNOOZE = datetime.timedelta(days=366)


class WorkflowError(ValueError):
    """A status change that is not allowed, or is missing what it needs (reason, date)."""


# The order a person works through them, for the status menu.
MENU_ORDER = (Status.IN_PROGRESS, Status.DONE, Status.SNOOZED, Status.DISMISSED, Status.OPEN)


def allowed_transitions(recommendation: Recommendation, *, today: datetime.date | None = None) -> list[tuple[str, str]]:
    """(status, label) pairs this recommendation may move to now, in working order."""
    allowed = TRANSITIONS[recommendation.effective_status(today)]
    return [(status.value, status.label) for status in MENU_ORDER if status in allowed]


@transaction.atomic
def recommendation_status_change(
    *,
    recommendation_id: int,
    to_status: str,
    user: Any,
    reason: str = "",
    snoozed_until: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Recommendation:
    """Move a recommendation to `to_status`, recording who did it and why.

    Dismissing needs a reason; snoozing needs a date after today (within a year). Marking done
    keeps what the affected resources cost then, for the realized savings.
    """
    today = today or timezone.now().date()
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation_id)
    current = recommendation.effective_status(today)
    if to_status not in Status.values:
        raise WorkflowError(f"unknown status {to_status!r}")
    if to_status not in TRANSITIONS[current]:
        raise WorkflowError(
            f"a recommendation that is {Status(current).label.lower()} cannot become {Status(to_status).label.lower()}"
        )
    reason = reason.strip()
    if to_status == Status.DISMISSED and not reason:
        raise WorkflowError("say why it is dismissed (the reason is kept in its history)")
    if to_status == Status.SNOOZED:
        if snoozed_until is None or snoozed_until <= today:
            raise WorkflowError("snooze until a date after today")
        if snoozed_until > today + MAX_SNOOZE:
            raise WorkflowError("snooze for at most a year")
    now = timezone.now()
    StatusChange.objects.create(
        recommendation=recommendation,
        from_status=current,
        to_status=to_status,
        reason=reason[:2000],
        snoozed_until=snoozed_until if to_status == Status.SNOOZED else None,
        user_id=getattr(user, "pk", None),
        user_email=getattr(user, "email", "") or "",
        changed_at=now,
    )
    recommendation.status = to_status
    recommendation.status_reason = reason[:2000]
    recommendation.status_changed_at = now
    recommendation.snoozed_until = snoozed_until if to_status == Status.SNOOZED else None
    if to_status == Status.DONE:
        recommendation.done_at = now
        recommendation.baseline_monthly_cost = recommendation.monthly_cost
    elif current == Status.DONE:
        recommendation.done_at = None
        recommendation.baseline_monthly_cost = None
    recommendation.save()
    return recommendation
