"""Sending one message: email through Django's backend (SES's SMTP in production), Slack by incoming webhook."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

SLACK_TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The channel refused or could not be reached; the delivery is retried later."""


def email_send(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception as error:  # SMTP and backend errors vary; all mean "try again later"
        raise DeliveryError(f"email to {to} failed: {error}") from error


def slack_post(*, webhook_url: str, text: str) -> None:
    """POST {"text": ...} as JSON; anything but a 2xx answer is an error."""
    if not webhook_url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        raise DeliveryError("a Slack webhook URL must be https")
    request = urllib.request.Request(  # noqa: S310 (scheme checked just above)
        webhook_url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SLACK_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked above)
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"Slack answered {error.code}: {error.read()[:200].decode(errors='replace')}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(f"Slack could not be reached: {error}") from error
