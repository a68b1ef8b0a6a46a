"""Reads that feed pages and the API."""

from __future__ import annotations

from typing import Any


def home_summary() -> dict[str, Any]:
    """Figures for the organization home page (filled in as cost data arrives)."""
    return {}
