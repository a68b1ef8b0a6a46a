"""Monitors (admins add, change and mute them), feedback on anomalies, and alert subscriptions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from costs.monitoring.models import (
    AlertSubscription,
    Anomaly,
    AnomalyFeedback,
    AnomalyStatus,
    Channel,
    Monitor,
    MonitorDimension,
    Suppression,
    Verdict,
)
from costs.monitoring.services.runs import anomaly_root_cause_ensure, top_contributor

# An "expected" anomaly covers the same pattern up to this much bigger.
SUPPRESSION_HEADROOM = 1.5
DEFAULT_MONITORS = (
    ("Total spend", MonitorDimension.TOTAL),
    ("Services", MonitorDimension.SERVICE),
    ("Linked accounts", MonitorDimension.ACCOUNT),
)


@transaction.atomic
def monitor_create(*, user: Any, **fields: Any) -> Monitor:
    monitor = Monitor(created_by_id=getattr(user, "pk", None), **fields)
    if monitor.dimension == MonitorDimension.TAG and not monitor.tag_key:
        raise ValidationError({"tag_key": "A tag monitor needs a tag key."})
    monitor.full_clean()
    monitor.save()
    return monitor


@transaction.atomic
def monitors_default_ensure() -> list[Monitor]:
    """Total, services and accounts monitors, created once when an organization has none."""
    if Monitor.objects.exists():
        return []
    return [Monitor.objects.create(name=name, dimension=dimension) for name, dimension in DEFAULT_MONITORS]


@transaction.atomic
def monitor_mute(*, monitor: Monitor, muted: bool) -> Monitor:
    """A muted monitor still records anomalies but alerts nobody."""
    monitor.is_muted = muted
    monitor.save(update_fields=["is_muted"])
    return monitor


@transaction.atomic
def monitor_delete(*, monitor: Monitor) -> None:
    monitor.delete()


@transaction.atomic
def anomaly_feedback_record(*, anomaly: Anomaly, user: Any, verdict: str, note: str = "") -> AnomalyFeedback:
    """Store the verdict and act on it.

    true anomaly: acknowledged. expected: resolved, and the same pattern (series, top
    contributor, up to 1.5x the size) no longer alerts on this monitor. not an anomaly: resolved.
    """
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": f"Unknown verdict {verdict!r}."})
    anomaly_root_cause_ensure(anomaly=anomaly)  # the pattern "expected" remembers is its top cause
    feedback = AnomalyFeedback(anomaly=anomaly, user_id=getattr(user, "pk", None), verdict=verdict, note=note)
    feedback.full_clean(exclude=["user_id"])  # ours, not input; None when an API key gives the feedback
    feedback.save()
    if verdict == Verdict.TRUE_ANOMALY:
        anomaly.status = AnomalyStatus.ACKNOWLEDGED
    else:
        anomaly.status = AnomalyStatus.RESOLVED
    if verdict == Verdict.EXPECTED:
        Suppression.objects.create(
            monitor=anomaly.monitor,
            dimension_value=anomaly.dimension_value,
            contributor=top_contributor(anomaly),
            max_impact_percent=anomaly.impact_percent * type(anomaly.impact_percent)(str(SUPPRESSION_HEADROOM)),
            source=anomaly,
            created_by_id=getattr(user, "pk", None),
        )
    anomaly.updated_at = timezone.now()
    anomaly.save(update_fields=["status", "updated_at"])
    return feedback


@transaction.atomic
def anomaly_status_set(*, anomaly: Anomaly, status: str) -> Anomaly:
    if status not in AnomalyStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    anomaly.status = status
    anomaly.save(update_fields=["status"])
    return anomaly


@transaction.atomic
def subscription_create(*, user: Any, **fields: Any) -> AlertSubscription:
    """A member's own subscription: email to their address, or a Slack incoming webhook (https only)."""
    subscription = AlertSubscription(user_id=user.pk, **fields)
    if subscription.channel == Channel.SLACK:
        url = subscription.slack_webhook_url
        from django.conf import settings

        loopback = url.startswith(("http://127.0.0.1:", "http://localhost:")) and (settings.DEBUG or settings.TESTING)
        if not (url.startswith("https://") or loopback):
            raise ValidationError({"slack_webhook_url": "A Slack incoming webhook URL starts with https://."})
    else:
        subscription.slack_webhook_url = ""
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: AlertSubscription) -> None:
    subscription.delete()
