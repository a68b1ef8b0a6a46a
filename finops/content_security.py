"""The Content-Security-Policy every response carries, and the one way a view widens it.

Scripts and styles come only from our own static files: no inline `<script>`, no `on…=`
handlers, no `style=` attributes, no CDN. Data for scripts travels in `json_script`
elements (type application/json, never executed) or `data-` attributes. Forms may post
to our own sites only: a form on the public site ends on an organization's host (sign-up
confirmation), and Chromium applies `form-action` to the redirect that follows a post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from django.conf import settings
from django.http import HttpResponseBase

BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
    "frame-src": ("'none'",),
    "worker-src": ("'self'",),
    "manifest-src": ("'self'",),
}


def site_origins() -> tuple[str, ...]:
    """The public site and every organization's host, as CSP sources."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return (
        f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}",
        f"{settings.SITE_SCHEME}://*.{settings.BASE_DOMAIN}{port}",
    )


def content_security_policy(*, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The policy as a header value; `extra` adds sources to directives (never 'unsafe-…')."""
    policy = {directive: list(sources) for directive, sources in BASE_POLICY.items()}
    policy["form-action"].extend(site_origins())
    for directive, sources in (extra or {}).items():
        for source in sources:
            if "unsafe" in source or any(c in source for c in ";,\r\n"):
                raise ValueError(f"refusing CSP source {source!r} for {directive}")
            target = policy.setdefault(directive, [])
            if source not in target:
                target.append(source)
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


R = TypeVar("R", bound=HttpResponseBase)


def csp_allow(response: R, directive: str, *sources: str) -> R:
    """Let this response's page reach `sources` through `directive` (e.g. connect-src to the S3 bucket)."""
    extra: dict[str, list[str]] = getattr(response, "csp_extra", None) or {}
    extra.setdefault(directive, []).extend(sources)
    response.csp_extra = extra  # type: ignore[attr-defined]
    return response
