"""Which subscriptions get what, and sending the due deliveries with retries.

Deliveries are rows first (created inside the run's transaction, unique per subscription and
subject), sent after commit by a task: a channel that is down never fails or slows detection,
and a failed attempt is recorded and retried with back-off until MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from costs.monitoring.alerts.channels import DeliveryError, email_send, slack_post
from costs.monitoring.alerts.messages import anomaly_text, budget_text, digest_text
from costs.monitoring.models import (
    SEVERITY_RANK,
    AlertDelivery,
    AlertSubscription,
    Anomaly,
    BudgetAlert,
    Channel,
    DeliveryStatus,
    Frequency,
)
from tenants.models import Organization, organization_url

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
)


def _organization_url(path: str) -> str:
    # Like every emailed link: the configured site's scheme, base domain and port (issue 16.6).
    slug = getattr(getattr(connection, "tenant", None), "slug", None)
    if slug is None:  # schema_context() sets a stand-in tenant that has only the schema name
        schema = connection.schema_name  # type: ignore[attr-defined]
        slug = Organization.objects.values_list("slug", flat=True).get(schema_name=schema)
    return organization_url(slug, path)


def anomaly_deliveries_create(*, anomaly: Anomaly) -> int:
    """One delivery per immediate subscription whose minimum severity the anomaly reaches."""
    subject, body = anomaly_text(anomaly, link=_organization_url(f"/anomalies/{anomaly.pk}/"))
    created = 0
    for subscription in AlertSubscription.objects.filter(anomalies=True, frequency=Frequency.IMMEDIATE):
        if SEVERITY_RANK[anomaly.severity] < SEVERITY_RANK[subscription.min_severity]:  # type: ignore[index]
            continue
        _, new = AlertDelivery.objects.get_or_create(
            subscription=subscription, anomaly=anomaly, defaults={"subject": subject, "body": body}
        )
        created += new
    return created


def budget_deliveries_create(*, alert: BudgetAlert) -> int:
    subject, body = budget_text(alert, link=_organization_url("/anomalies/budgets/"))
    created = 0
    for subscription in AlertSubscription.objects.filter(budgets=True, frequency=Frequency.IMMEDIATE):
        _, new = AlertDelivery.objects.get_or_create(
            subscription=subscription, budget_alert=alert, defaults={"subject": subject, "body": body}
        )
        created += new
    return created


@transaction.atomic
def digests_create(*, day: datetime.date) -> int:
    """Daily-digest subscriptions: one message with the anomalies and budget alerts of the 24 hours before `day`."""
    until = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    since = until - datetime.timedelta(days=1)
    anomalies = list(
        Anomaly.objects.filter(created_at__gte=since, created_at__lt=until, suppressed_by=None, monitor__is_muted=False)
        .select_related("monitor")
        .order_by("-impact_amount")
    )
    alerts = list(BudgetAlert.objects.filter(created_at__gte=since, created_at__lt=until).select_related("budget"))
    created = 0
    for subscription in AlertSubscription.objects.filter(frequency=Frequency.DAILY):
        mine = [
            a
            for a in anomalies
            if subscription.anomalies and SEVERITY_RANK[a.severity] >= SEVERITY_RANK[subscription.min_severity]  # type: ignore[index]
        ]
        theirs = alerts if subscription.budgets else []
        if not mine and not theirs:
            continue
        subject, body = digest_text(mine, theirs, link=_organization_url("/anomalies/"))
        _, new = AlertDelivery.objects.get_or_create(
            subscription=subscription, digest_day=day, defaults={"subject": subject, "body": body}
        )
        created += new
    if created:
        deliveries_send_on_commit()
    return created


def deliveries_send_on_commit() -> None:
    """Queue the sending task for this organization once the current transaction commits."""
    from costs.monitoring.tasks import deliveries_send

    transaction.on_commit(lambda: deliveries_send.delay())


def _member_email(user_id: int) -> str | None:
    """The subscriber's address while they are a member of this organization (a departed member gets nothing)."""
    organization = getattr(connection, "tenant", None)
    if organization is None:
        return None
    users = get_user_model().objects.filter(pk=user_id, memberships__organization_id=organization.pk)
    return users.values_list("email", flat=True).first()


def _still_member(subscription: AlertSubscription) -> bool:
    return _member_email(subscription.user_id) is not None


def delivery_attempt(delivery: AlertDelivery) -> bool:
    """Try one delivery once; record the outcome (sent, or the error and when to try again)."""
    subscription = delivery.subscription
    delivery.attempts += 1
    try:
        if subscription.channel == Channel.SLACK:
            if not _still_member(subscription):
                raise DeliveryError("the subscriber is no longer a member of this organization")
            slack_post(webhook_url=subscription.slack_webhook_url, text=f"*{delivery.subject}*\n{delivery.body}")
        else:
            email = _member_email(subscription.user_id)
            if not email:
                raise DeliveryError(
                    "the subscriber is no longer a member of this organization, or has no email address"
                )
            email_send(to=email, subject=delivery.subject, body=delivery.body)
    except DeliveryError as error:
        delivery.last_error = str(error)[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = timezone.now() + BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        log.warning("alert delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
        return False
    delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
    delivery.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return True


def deliveries_send_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every pending delivery whose time has come; each is claimed first so two workers never both send it."""
    now = now or timezone.now()
    sent = failed = 0
    for pk in AlertDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).values_list(
        "pk", flat=True
    ):
        # Claim: push the next attempt out; only the worker whose update matched sends.
        claimed = AlertDelivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
            next_attempt_at=now + datetime.timedelta(minutes=10)
        )
        if not claimed:
            continue
        delivery = AlertDelivery.objects.select_related("subscription").get(pk=pk)
        if delivery_attempt(delivery):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}
