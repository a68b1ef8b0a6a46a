"""Structured logs: a request on an organization's host logs JSON lines carrying its request id, schema and user."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from finops.logging import RequestContextFilter


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handler writes, while the test runs."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RequestContextFilter) for f in h.filters)
    ]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_request_on_an_organization_host_logs_json_with_request_id_organization_and_user(
    console: io.StringIO, org_a: Any, client_for: Any
) -> None:
    # A viewer may not open the settings: Django logs the refusal while handling the request.
    response = client_for(org_a.viewer, org_a).get("/settings/", HTTP_X_REQUEST_ID="req-4711")

    assert response.status_code == 403
    assert response["X-Request-Id"] == "req-4711"
    (line,) = [line for line in _lines(console) if line.get("name") == "django.request"]
    assert line["message"] == "Forbidden (Permission denied): /settings/"
    assert line["levelname"] == "WARNING"
    assert (line["request_id"], line["organization"], line["user"]) == ("req-4711", "org_acme", str(org_a.viewer.pk))


def test_without_an_incoming_request_id_one_is_made_and_the_context_ends_with_the_request(
    console: io.StringIO, org_a: Any, client_for: Any
) -> None:
    response = client_for(org_a.viewer, org_a).get("/settings/")
    logging.getLogger("finops.test").warning("after the request")

    during, after = _lines(console)
    assert during["request_id"] == response["X-Request-Id"]
    assert len(during["request_id"]) == 32
    assert (after["message"], after["request_id"], after["organization"], after["user"]) == (
        "after the request",
        None,
        None,
        None,
    )


def test_a_not_found_line_carries_the_request_context_too(console: io.StringIO, org_a: Any, client_for: Any) -> None:
    client_for(org_a.owner, org_a).get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")

    (line,) = [line for line in _lines(console) if line.get("name") == "django.request"]
    assert (line["request_id"], line["organization"]) == ("req-404", "org_acme")
