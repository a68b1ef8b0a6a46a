"""Organization slugs: they become DNS labels (subdomains) and PostgreSQL schema names."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# A DNS label: lowercase letters, digits and hyphens, not starting or ending with a hyphen.
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")

RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "public", "static", "media", "app", "mail", "smtp", "ftp",
        "status", "help", "support", "docs", "blog", "billing", "auth", "login", "signup",
        "accounts", "dashboard", "assets", "cdn", "internal", "root", "system", "test",
        "staging", "production", "demo-template", "tenant-template", "pg", "postgres",
    }
)  # fmt: skip


def validate_slug(slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise ValidationError(
            "Use 1–50 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
            code="invalid_slug",
        )
    if slug in RESERVED_SLUGS or slug.startswith("xn--"):
        raise ValidationError("This name is reserved. Please choose another.", code="reserved_slug")


def schema_name_for(slug: str) -> str:
    # Hyphens are not allowed unquoted in schema names and underscores are not allowed in
    # DNS labels, so this mapping cannot collide.
    return "org_" + slug.replace("-", "_")
