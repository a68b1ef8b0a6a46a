"""Project-wide middleware: security headers, tenant selection by host, and request context for logs."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django_tenants.middleware.main import TenantMainMiddleware

from finops import health
from finops.content_security import content_security_policy
from finops.logging import current_context, request_context
from finops.upload_handlers import limit_text, upload_limit_bytes

# host -> (expires at, monotonic clock; the organization), per process. See TenantHostMiddleware.get_tenant.
_TENANTS_BY_HOST: dict[str, tuple[float, Any]] = {}


def tenant_host_cache_clear(**_: Any) -> None:
    """Forget every cached host (connected to saves and deletes of organizations and domains)."""
    _TENANTS_BY_HOST.clear()


class TenantHostMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema middleware, with probes answered on any host.

    Load balancers probe by IP address, which is no organization's host and not in
    ALLOWED_HOSTS, so the probes are answered here before host validation and routing.

    The host's organization is kept in this process for TENANT_CACHE_SECONDS, so a request
    costs no database round trip to find its tenant (the API's benchmark prints it). Saving or
    deleting an organization or a domain clears this process's cache at once; other processes
    see the change within the TTL (a deleted organization's schema is gone, so they fail, never
    serve another organization). Off (0) in tests, where flushes bypass the signals.
    """

    def get_tenant(self, domain_model: Any, hostname: str) -> Any:
        ttl = settings.TENANT_CACHE_SECONDS
        if ttl <= 0:
            return super().get_tenant(domain_model, hostname)
        now = time.monotonic()
        cached = _TENANTS_BY_HOST.get(hostname)
        if cached is not None and cached[0] > now:
            return copy.copy(cached[1])  # each request its own instance (views may set attributes on it)
        tenant = super().get_tenant(domain_model, hostname)
        _TENANTS_BY_HOST[hostname] = (now + ttl, copy.copy(tenant))
        return tenant

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


# Browser features no page of ours uses: denied to us and to anything we might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy, Referrer-Policy, COOP, framing and nosniff on every response.

    Outermost, so that probes, host errors and 404s carry them too. A view widens the policy
    only through `finops.content_security.csp_allow` (e.g. the S3 origin the upload page posts to).
    DEBUG's technical error pages are inline HTML and keep working without the policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # DEBUG answers 404 and 500 with Django's technical pages (inline styles and scripts).
        if not (settings.DEBUG and response.status_code in (404, 500)):
            response["Content-Security-Policy"] = content_security_policy(extra=getattr(response, "csp_extra", None))
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        response["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
        response["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        # Also on answers made before Django's own middleware runs (probes, membership 404s).
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


# Room for the multipart framing and the form's other fields around the largest upload.
MULTIPART_ALLOWANCE = 1024 * 1024


def body_refused(status: int, message: str) -> HttpResponse:
    # gunicorn's sync workers close the connection after each answer, so the unread body is
    # never taken for a next request (a Connection header is hop-by-hop: WSGI apps may not set it).
    return HttpResponse(
        f"<!doctype html><title>Upload refused</title><h1>Upload refused</h1><p id='upload-refused'>{escape(message)}</p>",
        status=status,
    )


class RequestBodyLimitMiddleware:
    """Refuse a body larger than the upload limit, or of unknown length, before anything reads it (issue 16 item 4).

    Runs before CSRF (which parses POST bodies) and every view. The answer is made from the
    headers alone: a 600 MB upload is refused without one byte of it read. A chunked body
    (no Content-Length) is refused too: Django would read none of it anyway, and a form
    without its file would be a confusing answer. Browsers always send the length.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = upload_limit_bytes()
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return body_refused(
                411,
                "This request has no Content-Length (chunked transfer): send the file with its length, "
                f"at most {limit_text(limit)}.",
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return body_refused(400, "This request's Content-Length is not a number.")
        if length > limit + MULTIPART_ALLOWANCE:
            if not limit:  # S3 storage: files go from the browser to the bucket, never through here
                return body_refused(
                    413,
                    f"This request is {length / 1024 / 1024:.1f} MB; this server takes at most "
                    f"{limit_text(MULTIPART_ALLOWANCE)} per request. Files are uploaded from the upload page "
                    "straight to storage.",
                )
            return body_refused(
                413,
                f"This upload is {length / 1024 / 1024:.1f} MB; the upload limit is {limit_text(limit)}. "
                "Link your AWS account to ingest larger bills straight from S3.",
            )
        return self.get_response(request)
