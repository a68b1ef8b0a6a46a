"""Project-wide middleware: tenant selection by host, and request context for logs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from finops import health
from finops.logging import current_context, request_context


class TenantHostMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema middleware, with probes answered on any host.

    Load balancers probe by IP address, which is no organization's host and not in
    ALLOWED_HOSTS, so the probes are answered here before host validation and routing.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        probe = health.PROBES.get(request.path)
        if probe is not None:
            return probe(request)
        return super().process_request(request)


class RequestContextMiddleware:
    """Gives each request an id (or keeps the ALB's) and exposes it to every log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id") or request.headers.get("X-Amzn-Trace-Id") or uuid.uuid4().hex
        tenant = getattr(request, "tenant", None)
        with request_context(request_id=request_id[:200], organization=getattr(tenant, "schema_name", None)):
            try:
                response = self.get_response(request)
            finally:
                # For lines Django logs about this request after the middleware has returned.
                request.log_context = current_context()  # type: ignore[attr-defined]
        response["X-Request-Id"] = request_id[:200]
        return response
