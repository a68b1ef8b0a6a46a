"""Opaque single-use tokens: the link carries the token, the database keeps only its hash."""

from __future__ import annotations

import hashlib
import secrets


def token_new() -> tuple[str, str]:
    """Return (token for the link, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
